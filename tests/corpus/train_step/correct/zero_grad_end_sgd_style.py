"""Clears with optimizer.zero_grad(set_to_none=False) after the update; loss on reshape'd logits."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    for group in optimizer.param_groups:
        group["lr"] = float(lr)
    out = model(x)
    B, T, V = out.shape
    loss = parts.cross_entropy(out.reshape(B * T, V), y.reshape(B * T))
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm=max_l2_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=False)
    return loss.item()
