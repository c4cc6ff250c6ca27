"""Calls backward on a new tensor made from loss.item(): no gradient reaches the parameters."""
import torch


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    value = parts.cross_entropy(model(x), y).item()
    loss = torch.tensor(value, requires_grad=True)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return value
