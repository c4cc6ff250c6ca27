"""model.zero_grad() with zeros kept (set_to_none=False), lr via dict.update, float(loss.detach())."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    model.zero_grad(set_to_none=False)
    for group in optimizer.param_groups:
        group.update(lr=lr)
    logits = model(x)
    loss = parts.cross_entropy(logits, y)
    loss.backward()
    parts.gradient_clipping(list(model.parameters()), max_l2_norm=max_l2_norm)
    optimizer.step()
    return float(loss.detach())
