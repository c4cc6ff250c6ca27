"""Keeps t as a 0-dim tensor in state["step"] (as torch.optim does) and updates with p.sub_(grad * step_size)."""

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        if lr < 0:
            raise ValueError(f"lr must be >= 0, got {lr}")
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "step" not in state:
                    state["step"] = torch.tensor(0.0)
                step_size = group["lr"] / float((state["step"] + 1).sqrt())
                p.sub_(p.grad * step_size)
                state["step"] += 1
        return loss
