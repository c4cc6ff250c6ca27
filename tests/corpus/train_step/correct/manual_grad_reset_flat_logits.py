"""Resets p.grad = None by hand and passes flattened (B*T, V) logits to the loss."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for p in model.parameters():
        p.grad = None
    for group in optimizer.param_groups:
        group["lr"] = lr
    logits = model(x)
    loss = parts.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    loss.backward()
    parts.gradient_clipping([p for p in model.parameters() if p.grad is not None], max_l2_norm)
    optimizer.step()
    return loss.item()
