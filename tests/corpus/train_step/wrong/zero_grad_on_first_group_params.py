"""Clears only the first parameter group's gradients: the other group accumulates across steps."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for p in optimizer.param_groups[0]["params"]:
        p.grad = None
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.item()
