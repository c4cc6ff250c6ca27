"""@torch.no_grad() on step like PyTorch's optimizers, closure under enable_grad, sub_ with an explicit factor."""

import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in (q for q in group["params"] if q.grad is not None):
                state = self.state[p]
                state.setdefault("t", 0)
                factor = group["lr"] * (state["t"] + 1) ** -0.5
                p.sub_(factor * p.grad)
                state["t"] += 1
        return loss
