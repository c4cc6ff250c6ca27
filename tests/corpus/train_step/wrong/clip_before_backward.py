"""Clips before backward, when the gradients are still empty: the update uses unclipped gradients."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    loss.backward()
    optimizer.step()
    return loss.item()
