"""Advances every parameter's counter at each step, even when it is skipped for grad None."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                t = state.get("t", 0)
                state["t"] = t + 1
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"] / math.sqrt(t + 1))
        return loss
