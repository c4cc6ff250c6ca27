"""Returns loss.detach().numpy() (a numpy float32 array) instead of a Python float."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.detach().numpy()
