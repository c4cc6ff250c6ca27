"""Returns the loss recomputed after the update instead of the loss of the step."""
import torch


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    with torch.no_grad():
        return parts.cross_entropy(model(x), y).item()
