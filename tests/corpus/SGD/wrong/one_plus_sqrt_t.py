"""Divides by 1 + sqrt(t) instead of sqrt(t + 1): right at t = 0, too small afterwards."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
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
                t = self.state[p].get("t", 0)
                with torch.no_grad():
                    p.add_(p.grad, alpha=-group["lr"] / (1 + math.sqrt(t)))
                self.state[p]["t"] = t + 1
        return loss
