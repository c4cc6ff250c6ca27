"""Counts calls of step() in one global counter instead of updates per parameter."""

import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})
        self.t = 0

    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                with torch.no_grad():
                    p -= group["lr"] / math.sqrt(self.t + 1) * p.grad
        self.t += 1
        return loss
