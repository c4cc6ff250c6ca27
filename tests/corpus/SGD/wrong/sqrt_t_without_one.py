"""Divides by sqrt(t) instead of sqrt(t + 1): the first step divides by zero (inf)."""

import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                t = state.get("t", 0)
                with torch.no_grad():
                    p -= group["lr"] * torch.rsqrt(torch.tensor(float(t))) * p.grad
                state["t"] = t + 1
        return loss
