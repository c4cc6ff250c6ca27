"""Counts steps from 1 (state["t"] = number of updates so far + 1) and divides by sqrt(t): same sizes."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
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
                t = state.get("t", 1)
                with torch.no_grad():
                    p.sub_(group["lr"] / math.sqrt(t) * p.grad)
                state["t"] = t + 1
        return loss
