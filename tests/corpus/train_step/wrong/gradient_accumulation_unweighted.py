"""Accumulates two half-batch losses without dividing by 2: the gradient (and the returned loss) is doubled."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad()
    for group in optimizer.param_groups:
        group["lr"] = lr
    half = x.shape[0] // 2
    total = 0.0
    for xs, ys in ((x[:half], y[:half]), (x[half:], y[half:])):
        loss = parts.cross_entropy(model(xs), ys)
        loss.backward()
        total += loss.item()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return total / 2
