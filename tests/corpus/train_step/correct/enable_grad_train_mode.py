"""Wraps the step in torch.enable_grad(), puts the model in train mode, returns float(loss)."""
import torch


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    model.train()
    with torch.enable_grad():
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.zero_grad()
        logits = model(x)
        loss = parts.cross_entropy(logits, y)
        loss.backward()
        params = [p for p in model.parameters()]
        parts.gradient_clipping(params, max_l2_norm)
        optimizer.step()
    return float(loss)
