"""Computes the new value out of place and copies it into the parameter; step size via torch.rsqrt."""

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        if lr < 0.0:
            raise ValueError("lr must be non-negative")
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = closure() if closure else None
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                t = self.state[p].get("iteration", 0)
                step_size = group["lr"] * torch.rsqrt(torch.tensor(t + 1.0, dtype=torch.float64))
                with torch.no_grad():
                    p.copy_(p - step_size.to(p.dtype) * grad)
                self.state[p]["iteration"] = t + 1
        return loss
