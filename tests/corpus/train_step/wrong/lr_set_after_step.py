"""Sets the new learning rate after optimizer.step(): every update uses the previous step's lr."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    for group in optimizer.param_groups:
        group["lr"] = lr
    return loss.item()
