"""Checkpoints: atomic writes, clear errors on damaged files, bit-identical resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lmtrain.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_training_checkpoint,
    save_training_checkpoint,
)
from lmtrain.train import build_model, train
from train_fixtures import make_parts, tiny_config, tiny_data

TESTS = Path(__file__).parent


def _model_and_optimizer(seed=0):
    torch.manual_seed(seed)
    model = build_model(tiny_config("unused"))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.zeros(1, 4, dtype=torch.long)).sum().backward()
    optimizer.step()  # so the optimizer has state to save
    return model, optimizer


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def test_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    model, optimizer = _model_and_optimizer()
    good = save_training_checkpoint(tmp_path, make_parts(), model, optimizer, 4, {"tokens_seen": 1})
    before = _snapshot(tmp_path)

    def half_then_crash(model, optimizer, iteration, out):
        Path(out).write_bytes(b"PK\x03\x04 half a zip file")  # the disk filled up mid-write
        raise OSError(28, "No space left on device")

    failing = make_parts().with_parts(save_checkpoint=half_then_crash)
    with pytest.raises(CheckpointError, match="previous checkpoints are untouched"):
        save_training_checkpoint(tmp_path, failing, model, optimizer, 8, {"tokens_seen": 2})
    assert _snapshot(tmp_path) == before, "a failed write changed or left files in the checkpoint folder"
    assert latest_checkpoint(tmp_path) == good

    # The same when the sidecar write fails after the student's file was complete.
    real_save = torch.save

    def crash_on_sidecar(obj, f, *args, **kwargs):
        if str(f).endswith("state.pt"):
            raise RuntimeError("simulated crash while writing the sidecar")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", crash_on_sidecar)
    with pytest.raises(CheckpointError):
        save_training_checkpoint(tmp_path, make_parts(), model, optimizer, 8, {"tokens_seen": 2})
    monkeypatch.undo()
    assert _snapshot(tmp_path) == before


def test_saving_the_same_step_again_replaces_it_and_old_ones_are_pruned(tmp_path):
    model, optimizer = _model_and_optimizer()
    for step in (2, 4, 6, 6):
        save_training_checkpoint(tmp_path, make_parts(), model, optimizer, step, {"tokens_seen": step}, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_00000004", "step_00000006"]


# ---------------------------------------------------------------------------
# Reading damaged or foreign checkpoints
# ---------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    model, optimizer = _model_and_optimizer()
    return save_training_checkpoint(tmp_path, make_parts(), model, optimizer, 4,
                                    {"tokens_seen": 4, "config": tiny_config("x").to_dict()})


def _load(path, config=None):
    model, optimizer = _model_and_optimizer(seed=1)
    return load_training_checkpoint(path, make_parts(), model, optimizer, config=config)


def test_a_good_checkpoint_loads(saved):
    assert _load(saved)["iteration"] == 4


@pytest.mark.parametrize("name", ["model.pt", "state.pt"])
def test_truncated_file_gives_a_clear_error(saved, name):
    path = saved / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=r"truncated.*Delete the folder") as error:
        _load(saved)
    assert str(error.value)[0].isupper() and str(error.value).rstrip().endswith(".")


def test_foreign_sidecar_is_refused(saved):
    torch.save({"weights": torch.zeros(3)}, saved / "state.pt")
    with pytest.raises(CheckpointError, match="not an lmtrain checkpoint"):
        _load(saved)


def test_missing_file_is_reported(saved):
    (saved / "model.pt").unlink()
    with pytest.raises(CheckpointError, match="incomplete: model.pt is missing"):
        _load(saved)


def test_checkpoint_of_another_model_is_refused(saved):
    with pytest.raises(CheckpointError, match="different model: d_model=32 in the checkpoint but 64 now"):
        _load(saved, config={**tiny_config("x").to_dict(), "d_model": 64})


def test_cli_reports_a_damaged_checkpoint_in_one_line(tmp_path):
    config = tiny_config(tmp_path / "run", max_steps=4)
    train_tokens, val_tokens = tiny_data()
    train(config, make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)
    state = latest_checkpoint(tmp_path / "run" / "checkpoints") / "state.pt"
    state.write_bytes(b"garbage")
    code = ("import sys, train_fixtures as f, lmtrain.train as t; "
            "t._load_parts = lambda source: f.make_parts(); "
            "sys.exit(t.main(sys.argv[1:]))")
    args = [f"--{k}={v}" for k, v in config.to_dict().items()]
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(TESTS)})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-2].startswith("ERROR ") and "truncated or was not written by lmtrain" in lines[-2], result.stderr
    assert lines[-1].startswith("TIP "), result.stderr


# ---------------------------------------------------------------------------
# Resume
# ---------------------------------------------------------------------------

CHILD = """
import sys, train_fixtures as f
from lmtrain.train import train
train_tokens, val_tokens = f.tiny_data()
config = f.tiny_config(sys.argv[1], max_steps=int(sys.argv[2]), checkpoint_interval=4, eval_interval=8,
                       keep_checkpoints=10)
train(config, f.make_parts(), train_tokens=train_tokens, val_tokens=val_tokens)
"""


def _child(run_dir, max_steps):
    return subprocess.Popen([sys.executable, "-c", CHILD, str(run_dir), str(max_steps)],
                            env={**os.environ, "PYTHONPATH": str(TESTS)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _final_weights(run_dir):
    last = latest_checkpoint(Path(run_dir) / "checkpoints")
    return last.name, torch.load(last / "model.pt", weights_only=True)


def _losses(run_dir):
    lines = (Path(run_dir) / "metrics.jsonl").read_text().splitlines()
    return [(r["kind"], r["step"], r.get("loss")) for r in map(json.loads, lines)]


def test_resume_after_kill_9_is_bit_identical(tmp_path):
    steps = 24
    uninterrupted = _child(tmp_path / "a", steps)
    killed = _child(tmp_path / "b", steps)
    # Kill the second run with SIGKILL as soon as it has written its second checkpoint: it is
    # then mid-run, somewhere after step 8 (possibly mid-way through writing checkpoint 12).
    deadline = time.monotonic() + 240
    while not (tmp_path / "b" / "checkpoints" / "step_00000008").exists():
        assert killed.poll() is None, killed.stderr.read().decode()
        assert time.monotonic() < deadline, "the child run did not reach step 8 in time"
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL
    assert latest_checkpoint(tmp_path / "b" / "checkpoints").name < f"step_{steps:08d}", "the run was not cut short"

    resumed = _child(tmp_path / "b", steps)
    assert resumed.wait(timeout=240) == 0, resumed.stderr.read().decode()
    assert uninterrupted.wait(timeout=240) == 0, uninterrupted.stderr.read().decode()

    name_a, weights_a = _final_weights(tmp_path / "a")
    name_b, weights_b = _final_weights(tmp_path / "b")
    assert name_a == name_b == f"step_{steps:08d}"
    assert weights_a["iteration"] == weights_b["iteration"] == steps
    for key, tensor in weights_a["model"].items():
        assert torch.equal(tensor, weights_b["model"][key]), f"parameter {key} differs after resume"
    for (state_a, state_b) in zip(weights_a["optimizer"]["state"].values(), weights_b["optimizer"]["state"].values()):
        for key in state_a:
            assert torch.equal(torch.as_tensor(state_a[key]), torch.as_tensor(state_b[key])), f"optimizer {key} differs"
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b"), "the resumed run logged other losses"
