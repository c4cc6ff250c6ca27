"""Clears the gradients between backward and step, so step() has nothing to apply."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()
