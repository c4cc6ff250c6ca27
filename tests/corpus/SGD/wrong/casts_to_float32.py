"""Writes the update back through p.data in float32: a float64 parameter silently becomes float32 (and gets new storage)."""

import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                t = state.get("t", 0)
                p.data = p.data.float() - group["lr"] / math.sqrt(t + 1) * p.grad.float()
                state["t"] = t + 1
        return loss
