"""Draws starts over the whole dataset and wraps windows around the end with a modulo index."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(dataset)
    starts = np.random.randint(0, n, size=batch_size)
    index = (starts[:, None] + np.arange(context_length + 1)) % n
    windows = dataset[index].astype(np.int64)
    return torch.from_numpy(windows[:, :-1]).to(device), torch.from_numpy(windows[:, 1:]).to(device)
