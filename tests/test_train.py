"""The training loop: configuration, CLI, evaluation, logging, and the parts it calls."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lmtrain import config as config_module
from lmtrain.config import PRESETS, ConfigError, TrainingConfig, make_config, parse_overrides, select_preset
from lmtrain.train import build_model, evaluate, train
from train_fixtures import make_parts, schedule, tiny_config, tiny_data


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


# ---------------------------------------------------------------------------
# Where the parts come from
# ---------------------------------------------------------------------------


def test_unfinished_notebooks_are_listed_and_the_fallback_warns(tmp_path):
    from lmtrain.parts import PART_NAMES, MissingAnswerError, TrainingParts

    with pytest.raises(MissingAnswerError) as error:
        TrainingParts.from_notebooks(tmp_path)
    message = str(error.value)
    for name in PART_NAMES:
        assert f"- {name}:" in message, f"{name} is not listed in: {message}"
    assert "fallback=True" in message
    with pytest.warns(UserWarning, match="built-in replacements .*cross_entropy, AdamW"):
        parts = TrainingParts.from_notebooks(tmp_path, fallback=True)
    assert parts.AdamW is torch.optim.AdamW
    assert set(parts.origin.values()) <= {"builtin", "solutions"}


def test_builtin_parts_agree_with_pytorch():
    from lmtrain.parts import TrainingParts

    parts = TrainingParts.builtin()
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
    assert set(parts.origin.values()) == {"solutions"}
    train_tokens, val_tokens = tiny_data()
    config = tiny_config(tmp_path, max_steps=4, checkpoint_interval=2)
    first = train(config.replace(max_steps=2), parts, train_tokens=train_tokens, val_tokens=val_tokens)
    resumed = train(config, parts, train_tokens=train_tokens, val_tokens=val_tokens)
    assert resumed.resumed_from == 2 and resumed.train[:2] == first.train[:2]
    assert [r["step"] for r in resumed.train] == [1, 2, 3, 4]
