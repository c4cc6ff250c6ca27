"""Gradients from torch.autograd.grad of parts.cross_entropy's loss, assigned to .grad by hand (no .backward())."""
import torch


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for group in optimizer.param_groups:
        group["lr"] = lr
    params = [p for p in model.parameters() if p.requires_grad]
    loss = parts.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.detach()
    parts.gradient_clipping(params, max_l2_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())
