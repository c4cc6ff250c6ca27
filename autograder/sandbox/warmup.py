"""PyTorch's first-use set-up, done once in the fork server instead of once per notebook.

The first backward pass, optimizer step, dispatch mode or ``torch.save`` in a process sets up
lazily what every later one reuses: about 110 ms for a small training loop in a fresh process
against 30 ms in one forked from a process that ran it before. Every sandbox, and every checker
worker (through its notebook's template), is forked from the fork server, which imports this module
(see ``_PRELOAD`` in :mod:`autograder.sandbox.session`): importing it runs :func:`warm_up` there.

The work runs on one thread (:data:`autograder.sections.SECTION_THREADS`), so no thread pool exists
when the server forks, and inside :func:`torch.random.fork_rng`, so the global generator a child
inherits is the one it would have had without it (every section seeds it anyway).
"""

from __future__ import annotations

import io

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from ..sections import use_section_threads

__all__ = ["warm_up"]


class _PassThrough(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def warm_up() -> None:
    """Run once what the graded cells of every notebook run: a model's forward and backward pass,
    the built-in optimizers, clipping, cross-entropy, a dispatch mode, a checkpoint round trip."""
    use_section_threads()
    with torch.random.fork_rng(devices=[]):
        generator = torch.Generator().manual_seed(0)
        data = torch.randn(8, 4, generator=generator)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        for optimizer in (torch.optim.AdamW(model.parameters(), foreach=False),
                          torch.optim.SGD(model.parameters(), lr=0.1)):
            def closure():
                optimizer.zero_grad()
                with _PassThrough():
                    loss = nn.functional.cross_entropy(model(data), torch.arange(8) % 3)
                loss.backward()
                return loss

            optimizer.step(closure)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": 1}, buffer)
        buffer.seek(0)
        torch.load(buffer, weights_only=True)


warm_up()
