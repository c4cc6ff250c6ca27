"""Unseeded np.random.default_rng() made per call, one (B, m + 1) fancy index, torch.as_tensor(..., device=device).long()."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng()  # fresh OS entropy each call: not a re-seed
    starts = rng.integers(0, dataset.shape[0] - context_length, size=batch_size)
    index = starts[:, None] + np.arange(context_length + 1)[None, :]
    windows = dataset[index]  # reads only these B * (m + 1) tokens, even from a memmap
    x = torch.as_tensor(windows[:, :-1], device=device).long()
    y = torch.as_tensor(windows[:, 1:], device=device).long()
    return x, y
