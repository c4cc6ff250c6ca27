"""A tiny configuration, random byte data and self-contained parts for the training-loop tests.

The parts here are written for the tests (built-in loss, AdamW and clipping,
plus a plain schedule, sampler, checkpoint pair and step), so the loop's tests
do not depend on the state of the notebooks.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from lmtrain.config import make_config
from lmtrain.parts import TrainingParts, builtin_cross_entropy, builtin_gradient_clipping


def schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it < warmup_iters:
        return it / warmup_iters * max_learning_rate
    if it > cosine_cycle_iters:
        return min_learning_rate
    progress = (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
    return min_learning_rate + 0.5 * (1 + math.cos(math.pi * progress)) * (max_learning_rate - min_learning_rate)


def get_batch(dataset, batch_size, context_length, device):
    # The global numpy RNG, as most students write it: the loop must save and restore it.
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = np.stack([dataset[s:s + context_length] for s in starts]).astype(np.int64)
    y = np.stack([dataset[s + 1:s + 1 + context_length] for s in starts]).astype(np.int64)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def load_checkpoint(src, model, optimizer):
    state = torch.load(src, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return state["iteration"]


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    # As notebook 08 asks for it: loss and clipping through a global `parts`, which this module never
    # defines: the loop must bind it to the parts it was given.
    optimizer.zero_grad(set_to_none=True)
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)  # noqa: F821 - bound by lmtrain.train.parts_bound
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)  # noqa: F821
    optimizer.step()
    return loss.item()


def make_parts() -> TrainingParts:
    return TrainingParts(builtin_cross_entropy, torch.optim.AdamW, schedule, builtin_gradient_clipping, get_batch,
                         save_checkpoint, load_checkpoint, train_step, origin={})


def tiny_config(run_dir, **overrides):
    settings = dict(context_length=16, d_model=32, num_layers=1, num_heads=2, d_ff=64, batch_size=4,
                    max_steps=12, warmup_iters=3, max_learning_rate=3e-3, eval_interval=6, eval_batch_size=64,
                    log_interval=1, checkpoint_interval=4, sample_tokens=0, num_threads=1, progress=False,
                    run_dir=str(run_dir))
    settings.update(overrides)
    return make_config("cpu", **settings)


def tiny_data(seed: int = 0):
    """Random bytes with structure to learn (each byte often repeats the one before it)."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 64, size=6000)
    repeat = rng.random(6000) < 0.5
    data = noise.copy()
    for i in range(1, len(data)):
        if repeat[i]:
            data[i] = data[i - 1]
    data = data.astype(np.uint16)
    return data[:5000], data[5000:]
