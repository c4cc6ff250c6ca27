"""The one dataclass that holds every setting of a training run, with its named presets.

Defaults live only here: the command line of ``python -m lmtrain.train`` is
generated from the fields (:func:`add_config_arguments`), and the presets are
sets of overrides on top of the defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "PRESETS",
    "PRESET_ENV",
    "TrainingConfig",
    "make_config",
    "select_preset",
]

#: Environment variable that chooses the preset when no preset is given explicitly
#: (CI sets ``LMTRAIN_PRESET=ci`` so that notebook 08 trains in seconds).
PRESET_ENV = "LMTRAIN_PRESET"


class ConfigError(ValueError):
    """A setting is unknown or out of range; the message says which and what to use instead."""


@dataclass
class TrainingConfig:
    """Every setting of a training run. The defaults are the ``cpu`` preset."""

    # ---- model (the shape of lmtrain.model.TransformerLM) ----
    vocab_size: int = 256  # tokens; the data is byte-level, so every byte value 0..255 is a token
    context_length: int = 64  # tokens per training window; nanoGPT's CPU "baby GPT" uses 64
    d_model: int = 128  # width of the residual stream; baby GPT's n_embd, gives ~0.86 M parameters
    num_layers: int = 4  # Transformer blocks; baby GPT's n_layer
    num_heads: int = 4  # attention heads (head size d_model / num_heads = 32); baby GPT's n_head
    d_ff: int = 352  # hidden width of the SwiGLU feed-forward: 8/3 * d_model rounded up to a multiple of 32
    rope_theta: float = 10000.0  # RoPE base (radians); the value of the RoPE paper and of CS336

    # ---- optimisation ----
    batch_size: int = 12  # sequences per optimizer step, summed over all processes (global batch); baby GPT's
    max_steps: int = 2000  # optimizer steps; 2000 x 12 x 64 = 1.54 M training tokens, as baby GPT
    max_learning_rate: float = 3e-3  # peak AdamW lr; a 0.9 M-parameter model tolerates more than baby GPT's 1e-3
    min_learning_rate: float = 1e-4  # lr at the end of the cosine (1/30 of the peak), where it stays afterwards
    warmup_iters: int = 100  # steps of linear warmup from 0; baby GPT's, long enough for Adam's moments to settle
    cosine_cycle_iters: int = 0  # step where the cosine reaches min_learning_rate; 0 means max_steps
    beta1: float = 0.9  # AdamW first-moment decay; the common default
    beta2: float = 0.99  # AdamW second-moment decay; nanoGPT's choice for small models with few steps
    eps: float = 1e-8  # AdamW denominator floor; PyTorch's default
    weight_decay: float = 0.1  # AdamW decoupled weight decay (per unit lr); the GPT-2/3 value
    max_l2_norm: float = 1.0  # global gradient-norm clip; the value used by GPT-3 and CS336

    # ---- evaluation, samples, logging ----
    eval_interval: int = 500  # steps between evaluations (and one at step 0), for the curve of the validation loss
    target_loss: float = 0.0  # nats/byte: stop once a sampled evaluation reaches it, then evaluate the whole split; 0 = off (a quick first run: 1.9)
    eval_tokens: int = 65536  # validation bytes per evaluation before the last: a fixed sample of evenly spaced windows (~1/9 of the split); 0 means all
    final_eval_tokens: int = 0  # validation bytes of the last evaluation, the run's result; 0 means the whole split (~0.6 M bytes)
    eval_batch_size: int = 128  # windows per evaluation forward pass; 512 measured 1.7x slower on CPU (benchmarks/PROFILE.md); the result does not depend on it
    log_interval: int = 10  # steps between training-loss records (reading the loss syncs the GPU)
    sample_tokens: int = 300  # bytes generated for the before/after samples
    sample_prompt: str = "ROMEO:\n"  # prompt of the samples; a speaker name, as in the play
    temperature: float = 0.8  # sampling temperature of the samples; below 1 for more readable text
    top_p: float = 0.95  # nucleus sampling threshold of the samples

    # ---- checkpoints ----
    run_dir: str = "runs/cpu"  # folder of this run: metrics.jsonl, samples, checkpoints/
    checkpoint_interval: int = 500  # steps between checkpoints (a checkpoint is also written at the end)
    keep_checkpoints: int = 2  # newest checkpoints kept; 2 so a damaged newest one still leaves a good one
    resume: bool = True  # continue from the newest checkpoint in run_dir when there is one

    # ---- system ----
    device: str = "auto"  # "auto" (cuda when available, else cpu), "cpu", "cuda", "cuda:1", ...
    autocast_dtype: str = "none"  # "bfloat16" runs matmuls in bf16 under autocast (GPU); "none" keeps float32
    tf32: bool = False  # allow TF32 matmuls on Ampere+ GPUs (~10 bits of mantissa, several times faster)
    compile: bool = False  # torch.compile the model (minutes of compile time; pays off on long GPU runs)
    num_threads: int = 0  # CPU threads per process for PyTorch; 0 keeps PyTorch's default
    seed: int = 1337  # seeds torch, numpy and random; nanoGPT's
    progress: bool = True  # show a tqdm progress bar

    def __post_init__(self) -> None:
        self.validate()

    @property
    def cosine_end(self) -> int:
        """The step where the cosine schedule reaches ``min_learning_rate``."""
        return self.cosine_cycle_iters or self.max_steps

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.context_length

    def validate(self) -> None:
        problems = []
        positive = ["vocab_size", "context_length", "d_model", "num_layers", "num_heads", "d_ff",
                    "batch_size", "eval_interval", "eval_batch_size", "log_interval", "checkpoint_interval",
                    "keep_checkpoints"]
        for name in positive:
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be a positive number, got {getattr(self, name)}")
        for name in ["target_loss", "max_steps", "eval_tokens", "final_eval_tokens", "warmup_iters", "cosine_cycle_iters", "sample_tokens", "num_threads"]:
            if getattr(self, name) < 0:
                problems.append(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.d_model % self.num_heads:
            problems.append(f"d_model ({self.d_model}) must be a multiple of num_heads ({self.num_heads})")
        if (self.d_model // max(self.num_heads, 1)) % 2:
            problems.append(f"the head size d_model / num_heads = {self.d_model // max(self.num_heads, 1)} "
                            "must be even for RoPE")
        if not 0 <= self.min_learning_rate <= self.max_learning_rate:
            problems.append(f"need 0 <= min_learning_rate ({self.min_learning_rate}) <= max_learning_rate "
                            f"({self.max_learning_rate})")
        if self.autocast_dtype not in ("none", "bfloat16", "float16"):
            problems.append(f"autocast_dtype must be 'none', 'bfloat16' or 'float16', got {self.autocast_dtype!r}")
        if not 0 < self.top_p <= 1:
            problems.append(f"top_p must be in (0, 1], got {self.top_p}")
        if problems:
            raise ConfigError("Invalid training configuration: " + "; ".join(problems) + ".")

    def replace(self, **overrides) -> "TrainingConfig":
        """A copy with some fields changed; unknown names raise :class:`ConfigError`."""
        _check_names(overrides)
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


#: Overrides of each preset on top of the defaults (which are the ``cpu`` preset).
PRESETS: dict[str, dict] = {
    # ~0.86 M parameters, 1.54 M training tokens: nanoGPT's baby GPT budget, minutes on 2 cores.
    "cpu": {},
    # A 10.7 M-parameter model (nanoGPT's shakespeare-char size) for one GPU: 50x the tokens of cpu.
    "gpu": dict(
        context_length=256, d_model=384, num_layers=6, num_heads=6, d_ff=1024,
        batch_size=64, max_steps=5000, max_learning_rate=1e-3, min_learning_rate=1e-4, warmup_iters=200,
        eval_interval=500, eval_batch_size=256, log_interval=50, checkpoint_interval=1000,
        run_dir="runs/gpu", autocast_dtype="bfloat16", tf32=True, compile=True,
    ),
    # Seconds, not minutes: CI executes notebook 08 with it (LMTRAIN_PRESET=ci). Learns bigrams only, and
    # evaluates on a 32 K-byte sample even at the end: the whole split would take longer than the training.
    "ci": dict(
        context_length=32, d_model=64, num_layers=2, num_heads=2, d_ff=192,
        batch_size=8, max_steps=60, warmup_iters=10, eval_interval=30, eval_tokens=32768,
        final_eval_tokens=32768, eval_batch_size=512,
        log_interval=5, sample_tokens=60, checkpoint_interval=30, run_dir="runs/ci",
    ),
}


def _check_names(overrides: dict) -> None:
    names = [f.name for f in dataclasses.fields(TrainingConfig)]
    for key in overrides:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            tip = f" Did you mean '{close[0]}'?" if close else f" Known settings: {', '.join(names)}."
            raise ConfigError(f"Unknown setting '{key}'.{tip}")


def make_config(preset: str = "cpu", **overrides) -> TrainingConfig:
    """The named preset with ``overrides`` applied on top."""
    if preset not in PRESETS:
        close = difflib.get_close_matches(preset, list(PRESETS), n=1)
        tip = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"Unknown preset '{preset}'; the presets are {', '.join(PRESETS)}.{tip}")
    _check_names(overrides)
    return TrainingConfig(**{**PRESETS[preset], **overrides})


def select_preset(cuda_available: bool | None = None) -> str:
    """``$LMTRAIN_PRESET`` when set, else ``gpu`` with CUDA and ``cpu`` without."""
    chosen = os.environ.get(PRESET_ENV, "").strip()
    if chosen:
        if chosen not in PRESETS:
            raise ConfigError(f"{PRESET_ENV}={chosen!r} is not a preset; use one of {', '.join(PRESETS)}.")
        return chosen
    if cuda_available is None:
        import torch

        cuda_available = torch.cuda.is_available()
    return "gpu" if cuda_available else "cpu"


# ---------------------------------------------------------------------------
# Command line: one flag per field
# ---------------------------------------------------------------------------


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def field_types() -> dict[str, type]:
    """Field name -> the Python type its flag parses to."""
    hints = {"int": int, "float": float, "str": str, "bool": bool}
    return {f.name: hints[f.type if isinstance(f.type, str) else f.type.__name__] for f in dataclasses.fields(TrainingConfig)}


def parse_overrides(args: list[str]) -> tuple[str | None, dict]:
    """Parse ``--preset NAME --field VALUE ...`` (or ``--field=VALUE``) into (preset, overrides).

    Unknown flags raise :class:`ConfigError` with the closest known flag.
    """
    types_ = field_types()
    preset = None
    overrides: dict = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise ConfigError(f"Unexpected argument '{arg}': every setting is written --name value.")
        name, eq, value = arg[2:].partition("=")
        name = name.replace("-", "_")
        if not eq:
            if i + 1 >= len(args):
                raise ConfigError(f"--{name} needs a value.")
            value = args[i + 1]
            i += 1
        i += 1
        if name == "preset":
            preset = value
            continue
        if name not in types_:
            close = difflib.get_close_matches(name, ["preset", *types_], n=1)
            tip = f" Did you mean --{close[0]}?" if close else ""
            raise ConfigError(f"Unknown option --{name}.{tip}")
        kind = types_[name]
        try:
            overrides[name] = _parse_bool(value) if kind is bool else kind(value)
        except ValueError:
            raise ConfigError(f"--{name} expects a {kind.__name__}, got {value!r}.") from None
    return preset, overrides


def help_text() -> str:
    """One line per flag: name, type, default (cpu preset) and the field's comment."""
    import inspect
    import re

    source = inspect.getsource(TrainingConfig)
    comments = dict(re.findall(r"^\s+(\w+): \w+ = .*?# (.*)$", source, flags=re.M))
    lines = ["usage: python -m lmtrain.train [--preset {" + ",".join(PRESETS) + "}] [--NAME VALUE ...]", ""]
    for f in dataclasses.fields(TrainingConfig):
        lines.append(f"  --{f.name} ({field_types()[f.name].__name__}, default {f.default!r}): {comments.get(f.name, '')}")
    return "\n".join(lines)
