"""PyTorch's state layout: a 0-dim float32 tensor `step` and `exp_avg` / `exp_avg_sq`, bias-corrected moments, decay first."""
import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = torch.tensor(0.0)
                        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["step"] += 1
                    t = float(state["step"])
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                    state["exp_avg"].lerp_(p.grad, 1 - beta1)
                    state["exp_avg_sq"].mul_(beta2).addcmul_(p.grad, p.grad.conj(), value=1 - beta2)
                    m_hat = state["exp_avg"] / (1 - beta1 ** t)
                    v_hat = state["exp_avg_sq"] / (1 - beta2 ** t)
                    p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))
        return loss
