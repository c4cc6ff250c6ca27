"""Updates through p.data.sub_ (in place on the same storage) and stores the count as a float under "iteration"."""
import torch


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3):
        defaults = dict(lr=lr)
        super(SGD, self).__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr = group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                it = self.state[p].get("iteration", 0.0)
                p.data.sub_(p.grad.data, alpha=lr * (it + 1.0) ** -0.5)
                self.state[p]["iteration"] = it + 1.0
        return loss
