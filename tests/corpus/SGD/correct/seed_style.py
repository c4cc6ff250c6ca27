"""The course notes' version: state.get("step_count", 0), `p -=` under no_grad, closure called plainly."""

from collections.abc import Callable
from typing import Optional

import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = {"lr": lr}
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable] = None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            lr = group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                step_count = state.get("step_count", 0)
                with torch.no_grad():
                    p -= lr / math.sqrt(step_count + 1) * p.grad
                state["step_count"] = step_count + 1
        return loss
