"""Collects the parameters with gradients and updates them in one batched foreach call, float64 step sizes."""

import numpy as np
import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            counts = np.array([self.state[p].get("n", 0) for p in params], dtype=np.float64)
            scales = (-group["lr"] / np.sqrt(counts + 1.0)).tolist()
            with torch.no_grad():
                steps = torch._foreach_mul([p.grad for p in params], scales)
                torch._foreach_add_(params, steps)
            for p in params:
                self.state[p]["n"] = self.state[p].get("n", 0) + 1
        return loss
