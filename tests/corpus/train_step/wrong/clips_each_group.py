"""Calls parts.gradient_clipping once per parameter group: each group is clipped to max_l2_norm on its own."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    for group in optimizer.param_groups:
        parts.gradient_clipping(group["params"], max_l2_norm)
    optimizer.step()
    return loss.item()
