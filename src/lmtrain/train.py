"""Train a TransformerLM on the byte-level corpus with a student's training parts.

``train(config, parts)`` runs the loop and returns a :class:`History`; the
command line ``python -m lmtrain.train --preset cpu --max_steps 100`` builds
the config from flags (one per :class:`~lmtrain.config.TrainingConfig` field).
Under ``torchrun --nproc_per_node N`` the same command trains with
DistributedDataParallel: every process draws the same global batch and keeps
its own slice, so N processes follow the loss curve of one process.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from .checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_training_checkpoint,
    restore_rng_state,
    save_training_checkpoint,
)
from .config import ConfigError, TrainingConfig, help_text, make_config, parse_overrides, select_preset
from .loader import MissingAnswerError, repo_root
from .parts import TrainingParts
from .testing import substitute

__all__ = ["History", "TrainingInterrupted", "build_model", "evaluate", "main", "train"]

LN2 = math.log(2.0)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or the notebook's interrupt button) stopped a run; the message says how to resume.

    A KeyboardInterrupt still, so code that stops on one stops on this. A notebook shows it as
    its message alone, one line instead of a page of traceback through the loop (IPython asks an
    exception for ``_render_traceback_``); :func:`main` prints it the same way.
    """

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


@dataclass
class History:
    """What a run measured. Each record is a dict; ``tokens`` counts training tokens seen (global)."""

    config: dict
    num_parameters: int = 0
    train: list[dict] = field(default_factory=list)  # {"step", "tokens", "loss", "lr"}
    val: list[dict] = field(default_factory=list)  # {"step", "tokens", "loss", "bits_per_byte", "perplexity"}
    samples: dict = field(default_factory=dict)  # {"before": text, "after": text}
    resumed_from: int | None = None  # the iteration of the checkpoint this run resumed, if any
    stopped_at_target: int | None = None  # the step where a sampled evaluation reached config.target_loss
    train_seconds: float = 0.0  # time in training steps (evaluation, samples and checkpoints excluded)
    eval_seconds: float = 0.0  # time in evaluations (each record in ``val`` has its own "seconds")
    wall_seconds: float = 0.0  # whole call of train()
    run_dir: str = ""
    model: torch.nn.Module | None = field(default=None, repr=False, compare=False)  # the trained model

    @property
    def tokens_per_second(self) -> float:
        steps = self.train[-1]["step"] - (self.resumed_from or 0) if self.train else 0
        tokens = steps * self.config["batch_size"] * self.config["context_length"]
        return tokens / self.train_seconds if self.train_seconds else float("nan")

    @property
    def final_val_loss(self) -> float:
        return self.val[-1]["loss"] if self.val else float("nan")


# ---------------------------------------------------------------------------
# Pieces of the loop
# ---------------------------------------------------------------------------


def build_model(config: TrainingConfig) -> torch.nn.Module:
    from .model import TransformerLM

    return TransformerLM(vocab_size=config.vocab_size, context_length=config.context_length, d_model=config.d_model,
                         num_layers=config.num_layers, num_heads=config.num_heads, d_ff=config.d_ff,
                         rope_theta=config.rope_theta)


def _autocast(device: torch.device, config: TrainingConfig):
    if config.autocast_dtype == "none":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=getattr(torch, config.autocast_dtype))


def evaluation_windows(n_windows: int, max_tokens: int, context_length: int) -> torch.Tensor:
    """Indices of the windows an evaluation reads: all of them, or ``max_tokens // context_length`` evenly spaced.

    Evenly spaced rather than the first ones: the split is several plays one
    after the other, and a sample from the start would measure the first play
    only. The choice depends on the sizes alone, so every evaluation of a run
    (and every run with the same settings) reads the same windows.
    """
    wanted = max_tokens // context_length if max_tokens else n_windows
    if wanted >= n_windows:
        return torch.arange(n_windows)
    wanted = max(wanted, 1)
    return torch.arange(wanted) * n_windows // wanted  # (wanted,), strictly increasing


def evaluate(model: torch.nn.Module, tokens, context_length: int, batch_size: int, device: torch.device,
             autocast=contextlib.nullcontext, rank: int = 0, world_size: int = 1, max_tokens: int = 0,
             progress: str | None = None) -> dict:
    """Mean loss over ``tokens``, cut into non-overlapping windows of ``context_length``.

    With ``max_tokens == 0`` (or at least the split's size) every token but the
    first (and the tail that does not fill a window) is predicted exactly once;
    otherwise a fixed sample of ``max_tokens // context_length`` evenly spaced
    windows is read (:func:`evaluation_windows`). Neither depends on a random draw.
    The loss is PyTorch's cross-entropy, not the student's, so the number is
    comparable between runs whatever the parts. ``progress``, when given, is the
    label of a progress bar over the batches. Returns nats per byte (= per
    token: the vocabulary is bytes), bits per byte, perplexity, the tokens
    read, whether that was the whole split, and the seconds it took.
    """
    started = time.perf_counter()
    was_training = model.training
    model.eval()
    n_windows = (len(tokens) - 1) // context_length
    data = torch.from_numpy(np.asarray(tokens[: n_windows * context_length + 1], dtype=np.int64))
    inputs = data[:-1].view(n_windows, context_length)  # (n_windows, T)
    targets = data[1:].view(n_windows, context_length)
    chosen = evaluation_windows(n_windows, max_tokens, context_length)
    mine = chosen[rank::world_size]  # processes share the windows
    total = torch.zeros((), dtype=torch.float64, device=device)
    from tqdm.auto import tqdm

    batches = range(0, len(mine), batch_size)
    # inference_mode: no autograd records at all, cheaper than no_grad (benchmarks/PROFILE.md).
    with torch.inference_mode():
        for start in tqdm(batches, desc=progress, unit="batch", leave=False, dynamic_ncols=True,
                          disable=progress is None):
            rows = mine[start:start + batch_size]
            x, y = inputs[rows].to(device), targets[rows].to(device)
            with autocast():
                logits = model(x)
            # float(): bf16 logits under autocast would lose digits in the sum (a no-op for float32).
            total += F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="sum").double()
    count = torch.tensor(float(len(mine) * context_length), dtype=torch.float64, device=device)
    if world_size > 1:
        dist.all_reduce(total)
        dist.all_reduce(count)
    model.train(was_training)
    loss = float(total / count)
    return {"loss": loss, "bits_per_byte": loss / LN2, "perplexity": math.exp(loss), "eval_tokens": int(count),
            "whole_split": len(chosen) == n_windows, "seconds": time.perf_counter() - started}


def sample_text(model: torch.nn.Module, config: TrainingConfig, device: torch.device) -> str:
    """``config.sample_tokens`` bytes after ``config.sample_prompt``, from a generator of its own.

    A separate, fixed-seed generator keeps sampling out of the training RNG
    streams, so samples never change which batches the run draws.
    """
    from .data import decode, encode
    from .generate import generate

    # A CPU generator: generate() samples on the generator's device, so CPU and GPU runs draw alike.
    generator = torch.Generator().manual_seed(config.seed)
    with torch.no_grad():
        ids = generate(model, encode(config.sample_prompt), config.sample_tokens, temperature=config.temperature,
                       top_p=config.top_p, generator=generator)  # the new ids only
    return config.sample_prompt + decode(ids)


def describe_device(device: torch.device, config: TrainingConfig, world_size: int = 1) -> str:
    """What the run computes on, in words: "cpu (2 threads)", "cuda:0 (NVIDIA H100 80GB HBM3), bfloat16 autocast"."""
    if device.type == "cuda":
        text = f"{device} ({torch.cuda.get_device_name(device)})"
    else:
        threads = torch.get_num_threads()
        text = f"{device} ({threads} thread{'s' if threads != 1 else ''})"
    if world_size > 1:
        text += f" x {world_size} processes"
    if config.autocast_dtype != "none":
        text += f", {config.autocast_dtype} autocast"
    if config.compile:
        text += ", torch.compile"
    return text


def _interrupted(config: TrainingConfig, completed: int, checkpoints: Path) -> str:
    """The one line a Ctrl-C ends with: where the run stopped and how to go on from its newest checkpoint."""
    where = f"Training interrupted after step {completed} of {config.max_steps}"
    newest = latest_checkpoint(checkpoints)
    if newest is None:
        return (f"{where}, before its first checkpoint (one every {config.checkpoint_interval} steps): "
                "running it again starts from step 0.")
    saved = f"the checkpoint of step {int(newest.name.split('_')[-1])} in {checkpoints}"
    if config.resume:
        return f"{where}. Run the same cell or command again to resume from {saved}."
    return (f"{where}. To resume from {saved}, run it again with resume=True (--resume true on the command "
            "line); with resume=False it starts afresh.")


def resolve_device(config: TrainingConfig, local_rank: int = 0) -> torch.device:
    name = config.device
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={config.device!r} asks for CUDA, but PyTorch sees no GPU here; use --device cpu.")
    if name == "cuda":
        name = f"cuda:{local_rank}"
    return torch.device(name)


class _Metrics:
    """metrics.jsonl of a run: one JSON object per line, rewritten up to the checkpoint on resume."""

    def __init__(self, path: Path, enabled: bool):
        self.path = path
        self.enabled = enabled

    def truncate_after(self, step: int) -> list[dict]:
        """Keep records up to ``step`` (a killed run may have logged past its last checkpoint)."""
        if not self.path.exists():
            return []
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line cut by a kill
                continue
            if record.get("step", 0) <= step:
                kept.append(record)
        if self.enabled:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
            os.replace(tmp, self.path)
        return kept

    def write(self, record: dict) -> None:
        if self.enabled:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")


def _distributed_setup() -> tuple[int, int, int]:
    """(rank, world_size, local_rank); starts the process group under torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return 0, 1, 0
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world_size, int(os.environ.get("LOCAL_RANK", "0"))


class AutocastModel(torch.nn.Module):
    """``model`` with autocast inside its forward and float32 logits out.

    The loop hands this to the student's ``train_step`` under mixed precision,
    so a plain fp32 step (forward, loss, backward outside any autocast block)
    runs in bf16 unchanged, and the loss sees float32 logits (bf16 ones would
    lose digits). It holds ``model`` as a submodule: ``parameters()`` are the
    same tensors.
    """

    def __init__(self, model: torch.nn.Module, device_type: str, dtype: torch.dtype):
        super().__init__()
        self.model = model
        self.device_type = device_type
        self.dtype = dtype

    def forward(self, *args, **kwargs) -> torch.Tensor:
        with torch.autocast(device_type=self.device_type, dtype=self.dtype):
            logits = self.model(*args, **kwargs)
        return logits.float()


@contextlib.contextmanager
def parts_bound(step, parts: TrainingParts):
    """Point the global ``parts`` that ``step`` reads at ``parts`` while the block runs, then restore it.

    A student's ``train_step`` calls ``parts.cross_entropy`` through a global
    of its own module (the notebook, or the loader's module of its answers);
    binding it makes the step, and any helper of the same module it calls,
    use exactly the parts the loop was given. A callable without globals (a
    ``functools.partial``, an object) is left as it is.
    """
    namespace = getattr(step, "__globals__", None)
    if namespace is None:
        yield
        return
    with substitute(namespace, "parts", parts):
        yield


def _loss_value(returned, step: int) -> float:
    try:
        return float(returned)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"train_step returned {type(returned).__name__} at step {step}; it must return the "
                        "batch's loss as a Python float (loss.item()).") from None


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------


class _Run:
    """Everything a run sets up before its first step, and what the loop does besides stepping.

    Building it starts the process group, picks the device, loads the data,
    builds the model and the student's optimizer (the same seed in every
    process) and, with ``config.resume``, restores the newest checkpoint and
    the log up to it. The loop in :func:`train` then calls :meth:`evaluate`,
    :meth:`record_loss` and :meth:`save`.
    """

    def __init__(self, config: TrainingConfig, parts: TrainingParts, train_tokens, val_tokens):
        if parts.unfinished():
            raise MissingAnswerError(
                f"Cannot train: {', '.join(parts.unfinished())} "
                f"{'is' if len(parts.unfinished()) == 1 else 'are'} not finished (see parts.describe()). Finish "
                "them in their notebooks, save them and load the parts again.")
        self.config, self.parts = config, parts
        self.rank, self.world_size, local_rank = _distributed_setup()
        self.is_main = self.rank == 0
        if config.batch_size % self.world_size:
            raise ConfigError(f"batch_size={config.batch_size} is the global batch and must be divisible by the "
                              f"{self.world_size} processes; use a multiple of {self.world_size}.")
        if config.num_threads:
            torch.set_num_threads(config.num_threads)
        self.device = device = resolve_device(config, local_rank)
        if device.type == "cuda":
            torch.cuda.set_device(device)
            torch.backends.cuda.matmul.allow_tf32 = config.tf32
            torch.backends.cudnn.allow_tf32 = config.tf32
        if train_tokens is None or val_tokens is None:
            from .data import load_tokens

            train_tokens = load_tokens("train") if train_tokens is None else train_tokens
            val_tokens = load_tokens("val") if val_tokens is None else val_tokens
        self.train_tokens, self.val_tokens = train_tokens, val_tokens

        self.run_dir = Path(config.run_dir)
        self.checkpoints = self.run_dir / "checkpoints"
        if self.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        self.metrics = _Metrics(self.run_dir / "metrics.jsonl", enabled=self.is_main)

        # The same seed everywhere: every process builds the same model and draws the same batches.
        torch.manual_seed(config.seed)
        np.random.seed(config.seed)
        random.seed(config.seed)
        self.model = model = build_model(config).to(device)
        self.optimizer = parts.AdamW(model.parameters(), lr=config.max_learning_rate,
                                     betas=(config.beta1, config.beta2), eps=config.eps,
                                     weight_decay=config.weight_decay)
        self.history = History(config=config.to_dict(), num_parameters=sum(p.numel() for p in model.parameters()),
                               run_dir=str(self.run_dir))
        self.start_step, self.tokens_seen = 0, 0
        self.resumed = self._resume() if config.resume else None
        if self.resumed is None and self.is_main:
            self.metrics.truncate_after(-1)  # a fresh run: forget the log of an older run in the same folder
            if config.resume is False and list(self.checkpoints.glob("step_*")):
                print(f"resume=false: starting afresh; the checkpoints in {self.checkpoints} will be replaced.")
        self.completed = self.start_step  # steps done so far, for the line a Ctrl-C prints
        self.train_seconds = 0.0
        if self.is_main:
            print(f"Training {self.history.num_parameters:,} parameters on "
                  f"{describe_device(device, config, self.world_size)}: "
                  f"{config.max_steps} steps of {config.tokens_per_step:,} tokens"
                  + (f", resuming after step {self.start_step}" if self.resumed is not None else "")
                  + f"; run folder {self.run_dir}")

        forward_model = model
        if self.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            forward_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        if config.compile:
            forward_model = torch.compile(forward_model)
        # What the student's step is handed: the plain model in a single fp32 process; the wrapper that
        # averages gradients (DDP) or runs compiled code; inside autocast, with float32 logits out.
        self.step_model = forward_model
        if config.autocast_dtype != "none":
            self.step_model = AutocastModel(forward_model, device.type, getattr(torch, config.autocast_dtype))

    def _resume(self) -> dict | None:
        """Load the newest checkpoint into the model and optimizer, and the log up to it; its state, or None."""
        found = latest_checkpoint(self.checkpoints)
        if found is None:
            return None
        state = load_training_checkpoint(found, self.parts, self.model, self.optimizer, config=self.config.to_dict())
        self.start_step, self.tokens_seen = state["iteration"], state["tokens_seen"]
        self.history.resumed_from = self.start_step
        for record in self.metrics.truncate_after(self.start_step):
            kind = record.pop("kind")
            if kind == "sample":
                self.history.samples[record["name"]] = record["text"]
            elif kind in ("train", "val"):
                getattr(self.history, kind).append(record)
        return state

    def autocast(self):
        return _autocast(self.device, self.config)  # a fresh context per use

    def before_first_step(self) -> None:
        """A fresh run samples and evaluates the untrained model; a resumed one restores its RNGs."""
        if self.resumed is None:
            self.sample("before", 0)
            self.evaluate(0)
        else:
            # RNGs last: loading and evaluating above must not shift the streams the batches come from.
            restore_rng_state(self.resumed["rng"])

    def progress_bar(self):
        from tqdm.auto import tqdm

        bar = tqdm(total=self.config.max_steps, initial=self.start_step, unit="step", dynamic_ncols=True,
                   disable=not (self.config.progress and self.is_main),
                   desc=f"train {self.config.tokens_per_step} tok/step")
        if self.history.val:
            bar.set_postfix(val=f"{self.history.val[-1]['loss']:.3f}", refresh=False)
        return bar

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This process's part of the next batch, as int64 on the device."""
        config = self.config
        # Every process draws the full global batch from the same RNG state and keeps its slice:
        # the union of the slices is the batch one process would train on.
        x, y = self.parts.get_batch(self.train_tokens, config.batch_size, config.context_length, str(self.device))
        if self.world_size > 1:
            per_rank = config.batch_size // self.world_size
            mine = slice(self.rank * per_rank, (self.rank + 1) * per_rank)
            x, y = x[mine], y[mine]
        return x.to(self.device, torch.long), y.to(self.device, torch.long)  # no copy when they already are

    def record_loss(self, done: int, loss: float, lr: float, bar) -> None:
        """Stop on a loss that is not finite; log it every ``log_interval`` steps and at the end."""
        config = self.config
        if done % config.log_interval == 0 or done == config.max_steps or self.world_size == 1:
            if self.world_size > 1:  # every process checks the same mean, so all stop together
                value = torch.tensor(loss, dtype=torch.float64, device=self.device)
                dist.all_reduce(value)
                loss = float(value / self.world_size)
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"The training loss became {loss} at step {done} (lr {lr:.3g}). Lower "
                    "--max_learning_rate, or check cross_entropy and gradient_clipping on large logits."
                )
        if done % config.log_interval == 0 or done == config.max_steps:
            record = {"step": done, "tokens": self.tokens_seen, "loss": loss, "lr": float(lr)}
            self.history.train.append(record)
            self.metrics.write({"kind": "train", **record})
            bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.2e}",
                            **({"val": f"{self.history.val[-1]['loss']:.3f}"} if self.history.val else {}),
                            refresh=False)
        if self.device.type == "cuda" and done % config.log_interval == 0:
            torch.cuda.synchronize()

    def evaluate(self, step: int, final: bool = False) -> None:
        config = self.config
        final = final or step == config.max_steps
        max_tokens = config.final_eval_tokens if final else config.eval_tokens
        what = "whole validation split" if not max_tokens or max_tokens >= len(self.val_tokens) else \
            f"{'final ' if final else ''}sample of {max_tokens:,} validation bytes"
        # The unwrapped model: it shares its parameters with the DDP/compiled wrapper.
        result = evaluate(self.model, self.val_tokens, config.context_length, config.eval_batch_size, self.device,
                          self.autocast, self.rank, self.world_size, max_tokens=max_tokens,
                          progress=f"eval at step {step}: {what}" if config.progress and self.is_main else None)
        record = {"step": step, "tokens": step * config.tokens_per_step, **result}
        self.history.val.append(record)
        self.history.eval_seconds += result["seconds"]
        self.metrics.write({"kind": "val", **record})

    def reached_target(self, step: int) -> bool:
        # Judged on the sampled evaluation just recorded (the final one already reads everything).
        config = self.config
        return bool(config.target_loss) and step < config.max_steps and self.history.val[-1]["loss"] <= config.target_loss

    def save(self, step: int) -> None:
        if self.is_main:
            save_training_checkpoint(self.checkpoints, self.parts, self.model, self.optimizer, step,
                                     {"tokens_seen": self.tokens_seen, "config": self.config.to_dict(),
                                      "world_size": self.world_size},
                                     keep=self.config.keep_checkpoints)
        if self.world_size > 1:
            dist.barrier()

    def sample(self, name: str, step: int) -> None:
        if self.is_main and self.config.sample_tokens:
            self.history.samples[name] = sample_text(self.model, self.config, self.device)
            self.metrics.write({"kind": "sample", "step": step, "name": name, "text": self.history.samples[name]})


def train(config: TrainingConfig, parts: TrainingParts, *, train_tokens=None, val_tokens=None) -> History:
    """Train ``config``'s model with ``parts``; evaluate, sample, log and checkpoint on the way.

    The optimizer is ``parts.AdamW``. Each step: lr from
    ``parts.get_lr_cosine_schedule``, a batch from ``parts.get_batch`` (each
    process keeps its slice under DDP), then
    ``parts.train_step(model, optimizer, x, y, lr, max_l2_norm)``, which does
    the rest (forward, ``parts.cross_entropy``, backward,
    ``parts.gradient_clipping``, the update) and returns the loss. Under
    autocast the step gets the model wrapped in :class:`AutocastModel`; under
    DDP or torch.compile it gets the wrapped model, whose backward averages
    the gradients over the processes. Checkpoints go through
    ``parts.save_checkpoint``/``parts.load_checkpoint``.

    Evaluations every ``eval_interval`` steps read a fixed sample of
    ``eval_tokens`` validation bytes; the last one reads ``final_eval_tokens``
    (the whole split by default), and is ``history.final_val_loss``. With
    ``config.resume`` and a checkpoint in ``run_dir/checkpoints``, the run
    continues from it exactly (weights, optimizer, RNGs, logs).
    ``train_tokens``/``val_tokens`` default to ``lmtrain.data.load_tokens``.
    """
    started = time.perf_counter()
    run = _Run(config, parts, train_tokens, val_tokens)
    history, train_step = run.history, parts.train_step
    # Ctrl-C anywhere below ends the run with one line that says how to resume (TrainingInterrupted);
    # the checkpoints are those written so far, each complete (save_training_checkpoint is atomic).
    try:
        run.before_first_step()
        run.model.train()
        with parts_bound(train_step, parts), run.progress_bar() as bar:
            for step in range(run.start_step, config.max_steps):
                tick = time.perf_counter()
                lr = parts.get_lr_cosine_schedule(step, config.max_learning_rate, config.min_learning_rate,
                                                  config.warmup_iters, config.cosine_end)
                x, y = run.batch()
                loss = _loss_value(train_step(run.step_model, run.optimizer, x, y, lr, config.max_l2_norm), step)
                run.tokens_seen += config.tokens_per_step
                done = run.completed = step + 1
                run.record_loss(done, loss, lr, bar)
                run.train_seconds += time.perf_counter() - tick
                bar.update(1)

                if done % config.eval_interval == 0 or done == config.max_steps:
                    run.evaluate(done)
                    if run.reached_target(done):
                        # The sample said "good enough": the run's result is the whole split, as at the end.
                        run.evaluate(done, final=True)
                        history.stopped_at_target = done
                    bar.set_postfix(loss=f"{history.train[-1]['loss']:.3f}" if history.train else "-",
                                    val=f"{history.val[-1]['loss']:.3f}", refresh=False)
                if done % config.checkpoint_interval == 0 or done == config.max_steps or history.stopped_at_target:
                    run.save(done)
                if history.stopped_at_target:
                    break
        if run.is_main and history.stopped_at_target:
            print(f"Reached target_loss {config.target_loss:g} on the validation sample at step {run.completed} "
                  f"({history.val[-2]['loss']:.3f}); whole split: {history.final_val_loss:.3f} nats/byte.")
        run.sample("after", run.completed)
    except KeyboardInterrupt:
        raise TrainingInterrupted(_interrupted(config, run.completed, run.checkpoints)) from None
    history.train_seconds = run.train_seconds
    history.wall_seconds = time.perf_counter() - started
    history.model = run.model
    return history


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _load_parts(source: str) -> TrainingParts:
    if source in ("notebooks", "notebooks-zh"):  # the English or the Chinese edition of the student's work
        return TrainingParts.from_notebooks(source)
    if source == "solutions":
        return TrainingParts.from_solutions()
    if source == "builtin":
        return TrainingParts.builtin()
    raise ConfigError(f"--parts must be notebooks, notebooks-zh, solutions or builtin, got {source!r}.")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(help_text())
        print("  --parts {notebooks,notebooks-zh,solutions,builtin} (default notebooks): where the eight training parts come from")
        return 0
    source = "notebooks"
    if "--parts" in argv:
        i = argv.index("--parts")
        if i + 1 >= len(argv):
            argv.append("")
        source = argv[i + 1]
        del argv[i:i + 2]
    tips = {
        ConfigError: "run `python -m lmtrain.train --help` for every setting and its default.",
        # the reference parts exist in the instructor's copy only: a student's repository has no solutions/
        MissingAnswerError: "finish those notebooks (`make check` shows what is left)"
                            + (", or train with the reference parts: --parts solutions."
                               if (repo_root() / "solutions").is_dir() else "."),
        CheckpointError: "the run folder is --run_dir; --resume false starts afresh in it.",
        FloatingPointError: "the same settings with a smaller --max_learning_rate usually train stably.",
    }
    rank = int(os.environ.get("RANK", "0"))
    try:
        preset, overrides = parse_overrides(argv)
        config = make_config(preset or select_preset(), **overrides)
        parts = _load_parts(source)
        history = train(config, parts)
    except TrainingInterrupted as exc:  # Ctrl-C: one line on how to resume, no traceback
        if rank == 0:
            print(exc, file=sys.stderr)
        return 130  # the shell's code for a run stopped by SIGINT
    except tuple(tips) as exc:
        message = " ".join(str(exc).split())
        print(f"ERROR {message}", file=sys.stderr)
        print(f"TIP {tips[type(exc) if type(exc) in tips else next(t for t in tips if isinstance(exc, t))]}",
              file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    if rank == 0:
        val = history.val[-1]
        steps = history.stopped_at_target or config.max_steps
        print(f"done: {history.num_parameters:,} parameters, {steps} steps, "
              f"val {val['loss']:.4f} nats/byte ({val['bits_per_byte']:.4f} bits/byte, perplexity "
              f"{val['perplexity']:.2f}), {history.tokens_per_second:,.0f} tokens/s, "
              f"{history.wall_seconds:.0f} s ({history.train_seconds:.0f} s training, {history.eval_seconds:.0f} s "
              f"evaluating, of which {val['seconds']:.0f} s the final one); log in "
              f"{Path(config.run_dir) / 'metrics.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
