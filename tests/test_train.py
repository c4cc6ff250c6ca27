"""The training loop: configuration, CLI, evaluation, logging, and the parts it calls."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lmtrain import config as config_module
from lmtrain.config import PRESETS, ConfigError, TrainingConfig, make_config, parse_overrides, select_preset
from lmtrain.checkpoint import list_checkpoints
from lmtrain.train import AutocastModel, TrainingInterrupted, build_model, evaluate, evaluation_windows, train
from train_fixtures import get_batch, make_parts, schedule, tiny_config, tiny_data


# ---------------------------------------------------------------------------
# Configuration and command line
# ---------------------------------------------------------------------------


def test_every_field_has_a_comment_with_its_reason():
    source = inspect.getsource(TrainingConfig)
    for f in dataclasses.fields(TrainingConfig):
        line = next((l for l in source.splitlines() if re.match(rf"\s+{f.name}: ", l)), "")
        comment = line.partition("#")[2].strip()
        assert len(comment) > 15, f"TrainingConfig.{f.name} needs a comment with its unit and why its default"


@pytest.mark.parametrize("preset", list(PRESETS))
def test_presets_are_valid_configs(preset):
    config = make_config(preset)
    assert config.d_model % config.num_heads == 0


def test_cpu_preset_matches_the_baby_gpt_budget():
    config = make_config("cpu")
    assert (config.context_length, config.batch_size, config.max_steps) == (64, 12, 2000)
    assert config.max_steps * config.tokens_per_step == 1_536_000
    parameters = sum(p.numel() for p in build_model(config).parameters())
    assert 0.7e6 < parameters < 1.0e6, parameters


def test_unknown_setting_suggests_the_closest_name():
    with pytest.raises(ConfigError, match="Did you mean 'max_steps'"):
        make_config("cpu", max_step=10)
    with pytest.raises(ConfigError, match="Did you mean 'cpu'"):
        make_config("cpuu")
    with pytest.raises(ConfigError, match="Did you mean --max_learning_rate"):
        parse_overrides(["--max_learning_rat", "1e-3"])


def test_flags_are_parsed_with_the_fields_types():
    preset, overrides = parse_overrides(["--preset", "ci", "--max_steps", "7", "--max_learning_rate=1e-3",
                                         "--compile", "false", "--run_dir", "x"])
    assert preset == "ci"
    assert overrides == {"max_steps": 7, "max_learning_rate": 1e-3, "compile": False, "run_dir": "x"}
    with pytest.raises(ConfigError, match="expects a int"):
        parse_overrides(["--max_steps", "ten"])


def test_invalid_values_are_rejected_with_the_reason():
    with pytest.raises(ConfigError, match="multiple of num_heads"):
        make_config("cpu", d_model=130)
    with pytest.raises(ConfigError, match="min_learning_rate"):
        make_config("cpu", min_learning_rate=1.0)


def test_preset_environment_variable(monkeypatch):
    monkeypatch.setenv(config_module.PRESET_ENV, "ci")
    assert select_preset(cuda_available=True) == "ci"
    monkeypatch.delenv(config_module.PRESET_ENV)
    assert select_preset(cuda_available=True) == "gpu"
    assert select_preset(cuda_available=False) == "cpu"
    monkeypatch.setenv(config_module.PRESET_ENV, "tiny")
    with pytest.raises(ConfigError, match="is not a preset"):
        select_preset()


def test_cli_error_is_one_line_with_a_tip():
    result = subprocess.run([sys.executable, "-m", "lmtrain.train", "--preset", "ci", "--max_step", "5"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "ERROR Unknown option --max_step. Did you mean --max_steps?", result.stderr
    assert lines[1].startswith("TIP "), result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


def test_evaluate_covers_the_whole_split_and_ignores_the_batch_size():
    torch.manual_seed(0)
    config = tiny_config("unused")
    model = build_model(config)
    tokens = np.random.default_rng(1).integers(0, 256, size=1000).astype(np.uint16)
    # Oracle: every full window of 16, predicted position by position, summed with F.cross_entropy.
    data = torch.from_numpy(tokens.astype(np.int64))
    windows = (len(data) - 1) // 16
    with torch.no_grad():
        logits = model(data[: windows * 16].view(windows, 16))
    expected = F.cross_entropy(logits.reshape(-1, 256).double(), data[1: windows * 16 + 1]).item()
    for batch_size in (1, 7, 1000):
        got = evaluate(model, tokens, 16, batch_size, torch.device("cpu"))
        assert got["eval_tokens"] == windows * 16
        assert math.isclose(got["loss"], expected, rel_tol=1e-5), (batch_size, got, expected)
        assert math.isclose(got["bits_per_byte"], expected / math.log(2), rel_tol=1e-5)
        assert math.isclose(got["perplexity"], math.exp(expected), rel_tol=1e-5)
    assert model.training, "evaluate must restore the model's training mode"


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------


def test_train_learns_logs_and_follows_the_schedule(tmp_path):
    train_tokens, val_tokens = tiny_data()
    config = tiny_config(tmp_path / "run", max_steps=30, eval_interval=15, max_learning_rate=1e-2,
                         min_learning_rate=1e-3)
    history = train(config, make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)

    assert [r["step"] for r in history.val] == [0, 15, 30]
    assert history.val[-1]["loss"] < history.val[0]["loss"] - 0.5, history.val
    # The lr logged with step s (s = steps done) is the schedule's value for iteration s - 1.
    for record in history.train:
        want = schedule(record["step"] - 1, 1e-2, 1e-3, 3, 30)
        assert math.isclose(record["lr"], want, rel_tol=1e-12), (record, want)
    assert history.train[-1]["tokens"] == 30 * 4 * 16

    lines = [json.loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [l["loss"] for l in lines if l["kind"] == "train"] == [r["loss"] for r in history.train]
    assert [l["loss"] for l in lines if l["kind"] == "val"] == [r["loss"] for r in history.val]
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["step_00000028", "step_00000030"]


def test_target_loss_stops_at_the_first_sampled_evaluation_that_reaches_it(tmp_path):
    train_tokens, val_tokens = tiny_data()
    settings = dict(max_steps=30, eval_interval=5, eval_tokens=64, max_learning_rate=1e-2, min_learning_rate=1e-3)
    full = train(tiny_config(tmp_path / "full", **settings), make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)
    sampled = {r["step"]: r["loss"] for r in full.val[1:-1]}  # the sampled evaluations between start and end
    step, target = next((s, loss) for s, loss in sampled.items() if loss < full.val[0]["loss"] - 0.3)

    stopped = train(tiny_config(tmp_path / "stop", target_loss=target, **settings), make_parts(),
                    train_tokens=train_tokens, val_tokens=val_tokens)
    assert stopped.stopped_at_target == step
    assert [r["step"] for r in stopped.val][-2:] == [step, step]  # the sample that reached it, then the whole split
    assert stopped.val[-2]["loss"] == target  # the same run up to there, bit for bit (seeded)
    assert max(r["step"] for r in stopped.train) <= step
    assert (tmp_path / "stop" / "checkpoints" / f"step_{step:08d}").is_dir()

    never = train(tiny_config(tmp_path / "never", target_loss=1e-3, **settings), make_parts(),
                  train_tokens=train_tokens, val_tokens=val_tokens)
    assert never.stopped_at_target is None and never.val == [dict(r, seconds=n["seconds"]) for r, n in zip(full.val, never.val)]


def test_train_calls_the_parts_it_is_given(tmp_path):
    calls = {"cross_entropy": 0, "gradient_clipping": 0, "get_batch": 0, "schedule": 0}
    parts = make_parts()

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    parts = parts.with_parts(cross_entropy=counting("cross_entropy", parts.cross_entropy),
                             gradient_clipping=counting("gradient_clipping", parts.gradient_clipping),
                             get_batch=counting("get_batch", parts.get_batch),
                             get_lr_cosine_schedule=counting("schedule", parts.get_lr_cosine_schedule))
    train_tokens, val_tokens = tiny_data()
    train(tiny_config(tmp_path, max_steps=5), parts, train_tokens=train_tokens, val_tokens=val_tokens)
    assert calls == {"cross_entropy": 5, "gradient_clipping": 5, "get_batch": 5, "schedule": 5}


def test_samples_before_and_after(tmp_path):
    train_tokens, val_tokens = tiny_data()
    config = tiny_config(tmp_path, max_steps=2, sample_tokens=20, sample_prompt="AB")
    history = train(config, make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)
    assert set(history.samples) == {"before", "after"}
    for text in history.samples.values():
        assert text.startswith("AB") and len(text.encode("utf-8", "surrogateescape")) >= 2


def test_nan_loss_stops_with_advice(tmp_path):
    train_tokens, val_tokens = tiny_data()
    broken = make_parts().with_parts(cross_entropy=lambda logits, targets: logits.sum() * float("nan"))
    with pytest.raises(FloatingPointError, match="max_learning_rate"):
        train(tiny_config(tmp_path, max_steps=3), broken, train_tokens=train_tokens, val_tokens=val_tokens)


def test_the_run_says_which_device_it_uses(tmp_path, capsys):
    """The device the run resolved ("auto" is a request, not an answer), once, before training."""
    train_tokens, val_tokens = tiny_data()
    train(tiny_config(tmp_path, max_steps=2), make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Training ")]
    assert re.fullmatch(rf"Training [\d,]+ parameters on cpu \(1 thread\): 2 steps of 64 tokens; run folder {re.escape(str(tmp_path))}",
                        line), line


# ---------------------------------------------------------------------------
# Ctrl-C
# ---------------------------------------------------------------------------


def interrupted_in_step(number: int):
    """make_parts() whose get_batch raises KeyboardInterrupt, as Ctrl-C does, in step ``number`` (1-based)."""
    parts, calls = make_parts(), []

    def get_batch(*args):
        calls.append(None)
        if len(calls) == number:
            raise KeyboardInterrupt
        return parts.get_batch(*args)

    return parts.with_parts(get_batch=get_batch)


def test_ctrl_c_ends_with_one_line_on_how_to_resume_and_the_run_resumes_exactly(tmp_path):
    train_tokens, val_tokens = tiny_data()
    config = tiny_config(tmp_path / "run", max_steps=12, checkpoint_interval=4)
    with pytest.raises(TrainingInterrupted) as stopped:
        train(config, interrupted_in_step(7), train_tokens=train_tokens, val_tokens=val_tokens)
    checkpoints = tmp_path / "run" / "checkpoints"
    message = str(stopped.value)
    assert message == (f"Training interrupted after step 6 of 12. Run the same cell or command again to resume from "
                       f"the checkpoint of step 4 in {checkpoints}.")
    # One line in a notebook too: IPython shows what _render_traceback_ returns instead of the traceback.
    assert stopped.value._render_traceback_() == [message] and "\n" not in message
    assert isinstance(stopped.value, KeyboardInterrupt) and stopped.value.__suppress_context__
    assert [p.name for p in list_checkpoints(checkpoints)] == ["step_00000004"], "the interrupt must write nothing"

    resumed = train(config, make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)
    uninterrupted = train(config.replace(run_dir=str(tmp_path / "whole")), make_parts(),
                          train_tokens=train_tokens, val_tokens=val_tokens)
    assert resumed.resumed_from == 4
    assert resumed.train == uninterrupted.train, "the resumed run is not the run that was never interrupted"


def test_ctrl_c_says_what_running_again_does(tmp_path):
    train_tokens, val_tokens = tiny_data()
    early = tiny_config(tmp_path / "early", checkpoint_interval=4)
    with pytest.raises(TrainingInterrupted, match=r"^Training interrupted after step 2 of 12, before its first "
                                                  r"checkpoint \(one every 4 steps\): running it again starts from step 0\.$"):
        train(early, interrupted_in_step(3), train_tokens=train_tokens, val_tokens=val_tokens)
    # resume=False (notebook 08's cell) would start afresh: the line says how to resume instead.
    afresh = tiny_config(tmp_path / "afresh", checkpoint_interval=4, resume=False)
    with pytest.raises(TrainingInterrupted) as stopped:
        train(afresh, interrupted_in_step(10), train_tokens=train_tokens, val_tokens=val_tokens)
    assert str(stopped.value) == (
        f"Training interrupted after step 9 of 12. To resume from the checkpoint of step 8 in "
        f"{tmp_path / 'afresh' / 'checkpoints'}, run it again with resume=True (--resume true on the command line); "
        "with resume=False it starts afresh.")
    # Ctrl-C during the first evaluation, before any step, ends the same way.
    with pytest.raises(TrainingInterrupted, match="after step 0 of 12"):
        train(tiny_config(tmp_path / "eval"), make_parts(), train_tokens=train_tokens, val_tokens=_Interrupting(val_tokens))


class _Interrupting:
    """Validation tokens whose reading is interrupted, as Ctrl-C during an evaluation would."""

    def __init__(self, tokens):
        self.tokens = tokens

    def __len__(self):
        return len(self.tokens)

    def __getitem__(self, index):
        raise KeyboardInterrupt


INTERRUPTED_CLI = """
import sys, train_fixtures as f, lmtrain.train as t
from test_train import interrupted_in_step
t._load_parts = lambda source: interrupted_in_step(7)
train_tokens, val_tokens = f.tiny_data()
real_train = t.train
t.train = lambda config, parts: real_train(config, parts, train_tokens=train_tokens, val_tokens=val_tokens)
sys.exit(t.main(sys.argv[1:]))
"""


def test_ctrl_c_on_the_command_line_prints_one_line_and_exits_130(tmp_path):
    config = tiny_config(tmp_path / "run", max_steps=12, checkpoint_interval=4)
    args = [f"--{k}={v}" for k, v in config.to_dict().items()]
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_CLI, *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip() == (f"Training interrupted after step 6 of 12. Run the same cell or command again to "
                                     f"resume from the checkpoint of step 4 in {tmp_path / 'run' / 'checkpoints'}."), result.stderr
    assert "Training " in result.stdout and " parameters on cpu (1 thread)" in result.stdout, result.stdout


def test_ipython_shows_the_interrupt_as_one_line():
    """What a notebook cell shows: IPython (the notebook's kernel) prints _render_traceback_, not a traceback."""
    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "shell = InteractiveShell.instance(colors='nocolor')\n"
            "shell.run_cell('from lmtrain.train import TrainingInterrupted\\n'\n"
            "               'def loop():\\n    raise TrainingInterrupted(\"Training interrupted after step 6 of 12.\")\\n'\n"
            "               'loop()')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).strip() == "Training interrupted after step 6 of 12.", result.stdout + result.stderr


# ---------------------------------------------------------------------------
# Where the parts come from
# ---------------------------------------------------------------------------


def test_unfinished_notebooks_are_listed_and_the_fallback_is_named_as_it_is(tmp_path, monkeypatch):
    from lmtrain import loader
    from lmtrain.parts import PART_NAMES, MissingAnswerError, TrainingParts, UnfinishedPart

    # A student's copy or a grader's sandbox: no solutions/ anywhere.
    monkeypatch.setattr(loader, "repo_root", lambda: tmp_path)
    with pytest.raises(MissingAnswerError) as error:
        TrainingParts.from_notebooks(tmp_path)
    message = str(error.value)
    for name in PART_NAMES:
        assert f"- {name}:" in message, f"{name} is not listed in: {message}"
    assert "fallback=True" in message
    with pytest.warns(UserWarning, match=r"PyTorch's versions stand in for cross_entropy \(F.cross_entropy\), "
                                         r"AdamW \(torch.optim.AdamW\).*no PyTorch version.*get_batch \(06_get_batch\)"):
        parts = TrainingParts.from_notebooks(tmp_path, fallback=True)
    assert parts.AdamW is torch.optim.AdamW
    assert {n: parts.origin[n] for n in ("cross_entropy", "AdamW", "gradient_clipping")} == dict.fromkeys(
        ("cross_entropy", "AdamW", "gradient_clipping"), "PyTorch")
    assert parts.unfinished() == ["get_lr_cosine_schedule", "get_batch", "save_checkpoint", "load_checkpoint",
                                  "train_step"]
    assert all(isinstance(getattr(parts, n), UnfinishedPart) for n in parts.unfinished())
    with pytest.raises(MissingAnswerError, match="get_batch is not finished .*Finish it in 06_get_batch"):
        parts.get_batch(None, 1, 1, "cpu")
    train_tokens, val_tokens = tiny_data()
    with pytest.raises(MissingAnswerError, match="Cannot train: get_lr_cosine_schedule, get_batch, save_checkpoint, "
                                                 "load_checkpoint, train_step are not finished"):
        train(tiny_config(tmp_path / "run"), parts, train_tokens=train_tokens, val_tokens=val_tokens)
    with pytest.raises(MissingAnswerError, match="does not exist"):
        TrainingParts.from_solutions()


def test_builtin_parts_agree_with_pytorch():
    from lmtrain.parts import TrainingParts

    parts = TrainingParts.builtin()
    assert {parts.origin[n] for n in ("cross_entropy", "AdamW", "gradient_clipping")} == {"PyTorch"}
    assert {parts.origin[n] for n in ("get_batch", "train_step")} == {"solutions"}
    logits, targets = torch.randn(2, 3, 7), torch.randint(0, 7, (2, 3))
    assert torch.equal(parts.cross_entropy(logits, targets), F.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1)))
    assert parts.AdamW is torch.optim.AdamW
    weight = torch.nn.Parameter(torch.ones(4))
    weight.grad = torch.full((4,), 3.0)  # norm 6
    parts.gradient_clipping([weight], 1.5)
    assert torch.allclose(weight.grad, torch.full((4,), 3.0 * 1.5 / (6 + 1e-6)))


def test_the_reference_parts_train_and_resume(tmp_path):
    from lmtrain.parts import TrainingParts

    parts = TrainingParts.from_solutions()
    assert set(parts.origin.values()) == {"solutions"} and parts.unfinished() == []
    train_tokens, val_tokens = tiny_data()
    config = tiny_config(tmp_path, max_steps=4, checkpoint_interval=2)
    first = train(config.replace(max_steps=2), parts, train_tokens=train_tokens, val_tokens=val_tokens)
    resumed = train(config, parts, train_tokens=train_tokens, val_tokens=val_tokens)
    assert resumed.resumed_from == 2 and resumed.train[:2] == first.train[:2]
    assert [r["step"] for r in resumed.train] == [1, 2, 3, 4]


# ---------------------------------------------------------------------------
# The student's train_step in the loop
# ---------------------------------------------------------------------------


def test_the_loop_is_schedule_batch_and_train_step(tmp_path):
    """Oracle: the same steps written out here with PyTorch's loss, clipping and AdamW."""
    train_tokens, val_tokens = tiny_data()
    config = tiny_config(tmp_path, max_steps=6, log_interval=1)
    history = train(config, make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)

    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    model = build_model(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.max_learning_rate,
                                  betas=(config.beta1, config.beta2), eps=config.eps,
                                  weight_decay=config.weight_decay)
    losses = []
    for it in range(config.max_steps):
        for group in optimizer.param_groups:
            group["lr"] = schedule(it, config.max_learning_rate, config.min_learning_rate, config.warmup_iters,
                                   config.max_steps)
        x, y = get_batch(train_tokens, config.batch_size, config.context_length, "cpu")
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_l2_norm)
        optimizer.step()
        losses.append(loss.item())
    assert [r["loss"] for r in history.train] == losses
    for (name, trained), expected in zip(history.model.named_parameters(), model.parameters()):
        assert torch.equal(trained, expected), f"parameter {name} differs from the hand-written loop"


def _counting_cross_entropy(calls):
    def cross_entropy(inputs, targets):
        calls.append(inputs.dtype)
        return F.cross_entropy(inputs.flatten(0, -2), targets.flatten())
    return cross_entropy


def test_a_step_loaded_from_a_notebook_uses_the_loops_parts(tmp_path):
    from lmtrain.loader import load_notebook_answers

    step_source = inspect.getsource(__import__("train_fixtures").train_step)
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": "train_step"}},
         "source": "import torch\n\n" + step_source, "outputs": [], "execution_count": None}]}
    path = tmp_path / "08_train_lm.ipynb"
    path.write_text(json.dumps(notebook))
    answers = load_notebook_answers(path, ["train_step"])
    assert "parts" not in vars(answers)

    calls = []
    parts = make_parts().with_parts(train_step=answers.train_step, cross_entropy=_counting_cross_entropy(calls))
    train_tokens, val_tokens = tiny_data()
    history = train(tiny_config(tmp_path / "run", max_steps=3), parts, train_tokens=train_tokens,
                    val_tokens=val_tokens)
    assert calls == [torch.float32] * 3, "the loaded step did not call the loop's cross_entropy once per step"
    assert len(history.train) == 3
    assert "parts" not in vars(answers), "the loop must restore the step's globals after the run"


def test_a_plain_step_runs_under_autocast_with_float32_logits(tmp_path, monkeypatch):
    import train_fixtures

    calls, models = [], []

    def recording_step(model, optimizer, x, y, lr, max_l2_norm):
        models.append(model)
        return train_fixtures.train_step(model, optimizer, x, y, lr, max_l2_norm)

    parts = make_parts().with_parts(cross_entropy=_counting_cross_entropy(calls), train_step=recording_step)
    # The loop binds `parts` in the globals of the step it is given; this wrapper's inner step lives elsewhere.
    monkeypatch.setattr(train_fixtures, "parts", parts, raising=False)
    train_tokens, val_tokens = tiny_data()
    config = tiny_config(tmp_path, max_steps=2, autocast_dtype="bfloat16")
    history = train(config, parts, train_tokens=train_tokens, val_tokens=val_tokens)
    assert calls == [torch.float32, torch.float32], "the loss must see float32 logits under autocast"
    assert isinstance(models[0], AutocastModel) and models[0].dtype == torch.bfloat16
    assert {id(p) for p in models[0].parameters()} == {id(p) for p in history.model.parameters()}
    # The matmuls really ran in bf16: the logits differ from the float32 forward by bf16 rounding.
    x = torch.from_numpy(train_tokens[:16].astype(np.int64)).view(1, 16)
    with torch.no_grad():
        fp32, mixed = history.model(x), models[0](x)
    assert mixed.dtype == torch.float32 and 0 < (fp32 - mixed).abs().max() < 0.5


@pytest.mark.parametrize("returned, error", [(torch.tensor(2.0), None), (None, TypeError)])
def test_the_steps_loss_must_be_a_number(tmp_path, returned, error):
    def step(model, optimizer, x, y, lr, max_l2_norm):
        return returned

    parts = make_parts().with_parts(train_step=step)
    train_tokens, val_tokens = tiny_data()

    def run():
        return train(tiny_config(tmp_path, max_steps=2), parts, train_tokens=train_tokens, val_tokens=val_tokens)

    if error is None:
        assert [r["loss"] for r in run().train] == [2.0, 2.0]
    else:
        with pytest.raises(error, match="must return the batch's loss as a Python float"):
            run()


# ---------------------------------------------------------------------------
# The evaluation schedule
# ---------------------------------------------------------------------------


def test_evaluation_samples_are_fixed_and_evenly_spaced():
    assert evaluation_windows(10, 0, 4).tolist() == list(range(10))
    assert evaluation_windows(10, 400, 4).tolist() == list(range(10))  # more than the split: all of it
    assert evaluation_windows(10, 20, 4).tolist() == [0, 2, 4, 6, 8]  # 5 windows of 4 out of 10
    assert evaluation_windows(9, 12, 4).tolist() == [0, 3, 6]


def test_evaluation_of_a_sample_equals_the_loss_on_those_windows():
    torch.manual_seed(0)
    model = build_model(tiny_config("unused"))
    tokens = np.random.default_rng(2).integers(0, 256, size=1601).astype(np.uint16)  # 100 windows of 16
    data = torch.from_numpy(tokens.astype(np.int64))
    rows = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]  # 10 evenly spaced windows = 160 tokens
    x = torch.stack([data[r * 16:(r + 1) * 16] for r in rows])
    y = torch.stack([data[r * 16 + 1:(r + 1) * 16 + 1] for r in rows])
    with torch.no_grad():
        expected = F.cross_entropy(model(x).flatten(0, 1).double(), y.flatten()).item()
    got = evaluate(model, tokens, 16, 3, torch.device("cpu"), max_tokens=160)
    assert got["eval_tokens"] == 160 and not got["whole_split"]
    assert math.isclose(got["loss"], expected, rel_tol=1e-5), (got, expected)
    assert evaluate(model, tokens, 16, 64, torch.device("cpu"))["whole_split"]


def test_in_between_evaluations_read_the_sample_and_the_last_the_whole_split(tmp_path):
    train_tokens, val_tokens = tiny_data()  # 1000 validation bytes: 62 windows of 16
    config = tiny_config(tmp_path, max_steps=8, eval_interval=4, eval_tokens=160)
    history = train(config, make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)
    assert [(r["step"], r["eval_tokens"], r["whole_split"]) for r in history.val] == [
        (0, 160, False), (4, 160, False), (8, 62 * 16, True)]
    assert history.final_val_loss == history.val[-1]["loss"]
    assert all(r["seconds"] > 0 for r in history.val)
    assert math.isclose(history.eval_seconds, sum(r["seconds"] for r in history.val))
