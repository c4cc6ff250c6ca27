"""Accumulates the gradient over two halves of the batch, each weighted by its share of the positions."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad(set_to_none=True)
    for group in optimizer.param_groups:
        group["lr"] = lr
    batch_size = x.shape[0]
    half = (batch_size + 1) // 2
    total = 0.0
    for start in range(0, batch_size, half):
        xs, ys = x[start:start + half], y[start:start + half]
        weight = xs.shape[0] / batch_size
        part = parts.cross_entropy(model(xs), ys) * weight
        part.backward()
        total += part.item()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return total
