"""Backward on loss.mean() (a no-op on the scalar mean) with zero_grad after the forward pass."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for group in optimizer.param_groups:
        group["lr"] = lr
    logits = model(x)
    optimizer.zero_grad()
    loss = parts.cross_entropy(logits, y).mean()
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.item()
