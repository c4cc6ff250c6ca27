"""Does not skip parameters whose grad is None (crashes on them)."""

import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                t = state.get("t", 0)
                with torch.no_grad():
                    p -= group["lr"] / math.sqrt(t + 1) * p.grad
                state["t"] = t + 1
        return loss
