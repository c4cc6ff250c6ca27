"""Stores model.parameters() once and reuses the exhausted generator for clipping: nothing is clipped."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    params = model.parameters()
    for p in params:
        p.grad = None
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(params, max_l2_norm)
    optimizer.step()
    return loss.item()
