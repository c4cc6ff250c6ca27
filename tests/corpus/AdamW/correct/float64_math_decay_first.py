"""Decays first (PyTorch order), then does the Adam step in float64 and copies back; tensor step count."""
import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if "step" not in st:
                    st["step"] = torch.tensor(0.0)
                    st["m"] = torch.zeros_like(p)
                    st["v"] = torch.zeros_like(p)
                st["step"] += 1
                t = st["step"].item()
                g = p.grad.double()
                m = b1 * st["m"].double() + (1 - b1) * g
                v = b2 * st["v"].double() + (1 - b2) * g * g
                st["m"].copy_(m)
                st["v"].copy_(v)
                theta = p.double() * (1 - lr * wd)
                alpha_t = lr * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t)
                p.copy_(theta - alpha_t * m / (v.sqrt() + eps))
        return loss
