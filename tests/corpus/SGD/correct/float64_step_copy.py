"""Computes the new value in float64 and copies it back into the parameter (copy_ keeps storage and dtype)."""
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
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    n = self.state[p].get("n", 0)
                    new = p.double() - (group["lr"] / math.sqrt(n + 1)) * p.grad.double()
                    p.copy_(new)
                    self.state[p]["n"] = n + 1
        return loss
