"""Sets lr with param_group.update(lr=lr), zero_grad(set_to_none=False), returns float(loss.detach())."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad(set_to_none=False)
    for group in optimizer.param_groups:
        group.update(lr=lr)
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return float(loss.detach())
