"""Warms up linearly and then holds max_learning_rate for good: the cosine decay is missing, so with
warmup_iters = 0 the schedule is a constant learning rate."""


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it < warmup_iters:
        return max_learning_rate * it / warmup_iters
    return float(max_learning_rate)
