"""Updates p.data out of place into the same storage, bias-corrected moments, helper methods, state keys m/v/t."""
import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        if not 0.0 <= lr:
            raise ValueError("lr must be non-negative")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError("betas must lie in [0, 1)")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _init_state(self, p):
        state = self.state[p]
        if len(state) == 0:
            state["t"] = 0
            state["m"] = torch.zeros_like(p.data)
            state["v"] = torch.zeros_like(p.data)
        return state

    @staticmethod
    def _corrected(moment, beta, t):
        return moment / (1.0 - beta ** t)

    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                state = self._init_state(p)
                state["t"] += 1
                state["m"].mul_(b1).add_((1 - b1) * g)
                state["v"].mul_(b2).add_((1 - b2) * g * g)
                m_hat = self._corrected(state["m"], b1, state["t"])
                v_hat = self._corrected(state["v"], b2, state["t"])
                p.data.copy_(p.data - group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))
                p.data.mul_(1 - group["lr"] * group["weight_decay"])
        return loss
