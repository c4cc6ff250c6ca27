"""torchrun with 2 CPU processes (gloo) follows the loss curve of 1 process with the same global batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmtrain.train import train
from train_fixtures import make_parts, tiny_config, tiny_data

TESTS = Path(__file__).parent

CHILD = """
import sys, train_fixtures as f
from lmtrain.train import train
train_tokens, val_tokens = f.tiny_data()
train(f.tiny_config(sys.argv[1], max_steps=10, eval_interval=5), f.make_parts(),
      train_tokens=train_tokens, val_tokens=val_tokens)
"""


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(script), str(tmp_path / "ddp")],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(TESTS), "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]

    train_tokens, val_tokens = tiny_data()
    single = train(tiny_config(tmp_path / "single", max_steps=10, eval_interval=5), make_parts(),
                   train_tokens=train_tokens, val_tokens=val_tokens)
    records = [json.loads(l) for l in (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()]
    ddp_train = [r for r in records if r["kind"] == "train"]
    ddp_val = [r for r in records if r["kind"] == "val"]
    assert [r["step"] for r in ddp_train] == [r["step"] for r in single.train]
    for one, two in zip(single.train + single.val, ddp_train + ddp_val):
        assert abs(one["loss"] - two["loss"]) < 1e-4, f"step {one['step']}: 1 process {one['loss']}, 2 processes {two['loss']}"
    assert ddp_val[-1]["eval_tokens"] == single.val[-1]["eval_tokens"], "the processes must share the whole split"
