"""How long until the cpu preset is as good as the GPT-2-style baseline, both in one run.

    python benchmarks/time_to_quality.py            # about 5 minutes on 2 idle cores

First the baseline of ``baseline_gpt.py`` (nanoGPT's baby-GPT size and recipe) trains its 2000
steps; its whole-split validation loss is the quality to reach. Then the cpu preset trains with
``target_loss`` set to that loss and a finer ``eval_interval``: it stops at the first sampled
evaluation at or below it and confirms on the whole split. Printed side by side: the baseline's
wall time and loss, the preset's wall time to the target (everything a user waits for: training,
evaluations, the confirming whole-split evaluation, samples and checkpoints), the step it stopped
at and its whole-split loss there, and the ratio of the wall times. Only the ratio of one run
means anything on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

from lmtrain.config import make_config
from lmtrain.data import load_tokens
from lmtrain.parts import TrainingParts
from lmtrain.train import train

sys.path.insert(0, str(Path(__file__).resolve().parent))  # baseline_gpt, beside this file
from baseline_gpt import run_baseline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="the baseline's steps, and the preset's most (default 2000)")
    parser.add_argument("--eval-interval", type=int, default=50, help="the preset's steps between sampled evaluations")
    parser.add_argument("--target", type=float, default=None, help="skip the baseline run and use this loss")
    args = parser.parse_args()
    parts = TrainingParts.from_solutions()
    train_tokens, val_tokens = load_tokens("train"), load_tokens("val")
    seed = make_config("cpu").seed
    baseline = None
    if args.target is None:
        baseline = run_baseline(args.steps, seed, parts.get_batch, train_tokens, val_tokens)
        print(f"baseline: {args.steps} steps, whole-split loss {baseline['val_loss']:.4f}, "
              f"{baseline['wall_seconds']:.1f} s", file=sys.stderr, flush=True)
    target = args.target if args.target is not None else baseline["val_loss"]
    with tempfile.TemporaryDirectory() as run_dir:
        config = make_config("cpu", max_steps=args.steps, run_dir=run_dir, progress=False, resume=False,
                             target_loss=target, eval_interval=args.eval_interval)
        history = train(config, parts, train_tokens=train_tokens, val_tokens=val_tokens)
    stopped = history.stopped_at_target
    print(f"time to quality, {torch.get_num_threads()} threads: the cpu preset (reference parts) against the "
          f"GPT-2-style baseline's final whole-split loss {target:.4f}")
    print(f"{'':<40}{'GPT-2-style baseline':>22}{'cpu preset':>14}{'ratio':>9}")
    steps = stopped if stopped else f"{args.steps} (not reached)"
    base_wall = baseline["wall_seconds"] if baseline else float("nan")
    print(f"{'steps':<40}{args.steps if baseline else '-':>22}{steps:>14}")
    print(f"{'wall time (s)':<40}{base_wall:>22.1f}{history.wall_seconds:>14.1f}"
          f"{history.wall_seconds / base_wall:>9.3f}")
    print(f"{'validation loss, whole split':<40}{target:>22.4f}{history.final_val_loss:>14.4f}")
    if stopped:
        print(f"the preset's sampled loss reached {history.val[-2]['loss']:.4f} at step {stopped}; "
              f"{history.eval_seconds:.1f} s of its wall time went to evaluations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
