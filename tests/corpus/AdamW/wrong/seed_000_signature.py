"""Seed 000 verbatim: lr has no default and weight_decay defaults to 0.0 (the signature asks for 1e-3 and 0.01)."""

from typing import Optional, Callable, Any
from torch import optim
import torch
import torch.nn as nn


class AdamW(optim.Optimizer):
    def __init__(
        self,
        params,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable] = None):
        """
        Simple AdamW implementation.
        """
        loss = None if closure is None else closure()

        for group in self.param_groups:
            p: nn.Parameter
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad  # use clean grad tensor
                state: dict[str, any] = self.state[p]

                if len(state) == 0:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)

                m, v = state["m"], state["v"]
                beta1, beta2 = group["betas"]

                state["step"] += 1

                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

                bias_correction1 = 1 - beta1 ** state["step"]
                bias_correction2 = 1 - beta2 ** state["step"]
                step_size = group["lr"] / bias_correction1

                denom = (v / bias_correction2).sqrt().add_(group["eps"])
                with torch.no_grad():
                    p.addcdiv_(-step_size, m, denom)
                    p.add_(p, alpha=-group["weight_decay"] * group["lr"])
        return loss
