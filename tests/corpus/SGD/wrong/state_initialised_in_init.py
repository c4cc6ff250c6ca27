"""Creates every parameter's state in __init__, so a parameter added later with add_param_group has none (KeyError)."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, {"lr": lr})
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["t"] = 0

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                t = self.state[p]["t"]
                p.add_(p.grad, alpha=-group["lr"] / math.sqrt(t + 1))
                self.state[p]["t"] = t + 1
        return loss
