"""Collects the group's tensors and applies torch._foreach_add_ with a per-parameter scalar list."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, {"lr": lr})

    def _step_sizes(self, params, lr):
        sizes = []
        for p in params:
            t = self.state[p].setdefault("step", 0)
            sizes.append(-lr / math.sqrt(t + 1))
            self.state[p]["step"] = t + 1
        return sizes

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            scaled = torch._foreach_mul(grads, self._step_sizes(params, group["lr"]))
            torch._foreach_add_(params, scaled)
        return loss
