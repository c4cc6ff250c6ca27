"""Delegates each step to a hidden torch.optim.Adam plus a hand-written decay."""

import torch
from torch.optim import Adam as _Inner


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self._inner = _Inner(self.param_groups, lr=lr, betas=betas, eps=eps)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
        return self._inner.step(closure)
