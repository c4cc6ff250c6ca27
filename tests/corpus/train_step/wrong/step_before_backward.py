"""Calls optimizer.step() before loss.backward(): each update uses the previous batch's gradients."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    optimizer.step()
    optimizer.zero_grad()
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    return loss.item()
