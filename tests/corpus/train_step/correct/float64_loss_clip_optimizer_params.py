"""Loss computed on float64 logits; clips the parameters listed in the optimizer's groups."""
import torch


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    logits = model(x).to(torch.float64)
    loss = parts.cross_entropy(logits, y)
    loss.backward()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    parts.gradient_clipping(params, max_l2_norm)
    optimizer.step()
    return loss.item()
