"""optimizer.zero_grad(set_to_none=False) and the lr set by index over range(len(param_groups))."""
def train_step(model, optimizer, x, y, lr, max_l2_norm):
    optimizer.zero_grad(set_to_none=False)
    for i in range(len(optimizer.param_groups)):
        optimizer.param_groups[i]["lr"] = lr
    logits = model(x)
    vocab_size = logits.size(-1)
    loss = parts.cross_entropy(logits.view(-1, vocab_size), y.contiguous().view(-1))
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.detach().item()
