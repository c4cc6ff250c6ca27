"""Keeps t as a float64 tensor in self.state[p] (PyTorch's own style), which state_dict() carries across a resume."""
import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, defaults=dict(lr=lr))

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
                    state["step"] = torch.tensor(0.0, dtype=torch.float64)
                scale = group["lr"] / float(torch.sqrt(state["step"] + 1))
                p.add_(p.grad, alpha=-scale)
                state["step"] += 1
        return loss
