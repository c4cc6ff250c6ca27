"""Passes the learning rate as the clipping threshold."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), lr)
    optimizer.step()
    return loss.item()
