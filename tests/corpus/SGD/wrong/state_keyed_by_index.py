"""Keys the step counter by the parameter's index within its group: groups share counters."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, {"lr": lr})
        self.counts = {}

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for i, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                t = self.counts.get(i, 0)
                p.add_(p.grad, alpha=-group["lr"] / math.sqrt(t + 1))
                self.counts[i] = t + 1
        return loss
