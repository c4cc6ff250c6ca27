"""Clips a list of the parameters that have a gradient, and takes the loss value before stepping."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    model.zero_grad(set_to_none=True)
    for group in optimizer.param_groups:
        group["lr"] = lr
    logits = model(x)
    loss = parts.cross_entropy(logits, y)
    loss.backward()
    value = loss.item()
    parts.gradient_clipping([p for p in model.parameters() if p.grad is not None], max_l2_norm)
    optimizer.step()
    return value
