"""Delegates each update to PyTorch's functional SGD (torch.optim.sgd.sgd) with lr / sqrt(t + 1)."""

import importlib
import math

import torch

_sgd = importlib.import_module("torch.optim.sgd").sgd


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
                t = self.state[p].get("t", 0)
                with torch.no_grad():
                    _sgd([p], [p.grad], [None], weight_decay=0.0, momentum=0.0,
                         lr=group["lr"] / math.sqrt(t + 1), dampening=0.0, nesterov=False, maximize=False)
                self.state[p]["t"] = t + 1
        return loss
