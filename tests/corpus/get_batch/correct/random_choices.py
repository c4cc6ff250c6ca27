"""random.choices over range(n - m) (with replacement), a list of lists, torch.tensor(..., dtype=torch.long, device=device)."""
import random

import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    starts = random.choices(range(len(dataset) - context_length), k=batch_size)
    xs = [dataset[s:s + context_length].tolist() for s in starts]
    ys = [dataset[s + 1:s + context_length + 1].tolist() for s in starts]
    return (torch.tensor(xs, dtype=torch.long, device=device),
            torch.tensor(ys, dtype=torch.long, device=device))
