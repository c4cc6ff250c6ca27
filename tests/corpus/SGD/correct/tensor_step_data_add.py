"""Stores t as a float tensor under "step" and updates p.data in place with add_."""

import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, dict(lr=lr))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = torch.tensor(0.0)
                scale = group["lr"] / torch.sqrt(state["step"] + 1)
                p.data.add_(-scale * p.grad.data)
                state["step"] += 1
        return loss
