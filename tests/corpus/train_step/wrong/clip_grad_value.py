"""Clips each gradient element to [-max_l2_norm, max_l2_norm] (clip_grad_value_) instead of the norm."""
import torch


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.item()
