"""Bias correction without the square root: alpha * (1 - beta2^t) / (1 - beta1^t)."""
import math

import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    t = state.get("t", 0) + 1
                    m = state.get("m", torch.zeros_like(p))
                    v = state.get("v", torch.zeros_like(p))
                    m = beta1 * m + (1 - beta1) * p.grad
                    v = beta2 * v + (1 - beta2) * p.grad ** 2
                    alpha_t = group["lr"] * (1 - beta2 ** t) / (1 - beta1 ** t)
                    new = p - alpha_t * m / (torch.sqrt(v) + group["eps"])
                    new = new - group["lr"] * group["weight_decay"] * new
                    p[...] = new
                    state["t"], state["m"], state["v"] = t, m, v
        return loss
