"""Builds the targets again from x[:, 1:] and drops the last position: the mean over T-1 positions."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    logits = model(x)
    loss = parts.cross_entropy(logits[:, :-1], x[:, 1:])
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.item()
