"""Sets the learning rate just before optimizer.step(), after backward and clipping."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad(set_to_none=True)
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.step()
    return loss.item()
