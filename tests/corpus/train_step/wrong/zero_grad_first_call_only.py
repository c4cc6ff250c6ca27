"""Clears the gradients only on the first call (a module-level flag), so later steps accumulate."""
_first_call = [True]


def train_step(model, optimizer, x, y, lr, max_l2_norm):
    if _first_call[0]:
        optimizer.zero_grad()
        _first_call[0] = False
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.item()
