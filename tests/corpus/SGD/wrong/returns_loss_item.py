"""Returns closure().item(), a Python float, instead of the closure's loss tensor."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure().item()
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    t = self.state[p].get("t", 0)
                    p.add_(p.grad, alpha=-group["lr"] / math.sqrt(t + 1))
                    self.state[p]["t"] = t + 1
        return loss
