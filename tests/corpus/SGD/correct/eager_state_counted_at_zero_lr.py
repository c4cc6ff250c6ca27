"""Creates state eagerly (and lazily for added groups); at lr = 0 skips the arithmetic but still counts the step."""
import math

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, {"lr": lr})
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["steps_taken"] = 0

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    t = state.setdefault("steps_taken", 0)
                    if lr != 0:
                        p.sub_(lr / math.sqrt(t + 1) * p.grad)
                    state["steps_taken"] = t + 1
        return loss
