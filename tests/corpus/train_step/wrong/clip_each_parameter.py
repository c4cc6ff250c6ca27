"""Clips every parameter's gradient on its own instead of the global norm over all of them."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    for p in model.parameters():
        parts.gradient_clipping([p], max_l2_norm)
    optimizer.step()
    return loss.item()
