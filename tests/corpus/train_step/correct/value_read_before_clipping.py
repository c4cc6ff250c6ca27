"""Reads the loss value right after backward, before clipping and the update, under a disabled autocast."""
import torch


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad()
    with torch.autocast(device_type="cpu", enabled=False):
        logits = model(x)
        loss = parts.cross_entropy(logits, y)
    loss.backward()
    loss_value = loss.item()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss_value
