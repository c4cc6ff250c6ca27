"""Reaches the functional adamw through importlib and getattr."""

import importlib

import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        update = getattr(importlib.import_module("torch.optim.adamw"), "ada" + "mw")
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                update([p], [p.grad], [state["m"]], [state["v"]], [], [state["step"]],
                       amsgrad=False, beta1=group["betas"][0], beta2=group["betas"][1], lr=group["lr"],
                       weight_decay=group["weight_decay"], eps=group["eps"], maximize=False)
        return loss
