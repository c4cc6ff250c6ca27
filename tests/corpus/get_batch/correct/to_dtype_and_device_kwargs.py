"""Builds both rows on the CPU from one fancy index, then moves them with .to(device=..., dtype=torch.long)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    ix = np.random.randint(len(dataset) - context_length, size=(batch_size, 1))
    x = torch.from_numpy(dataset[ix + np.arange(context_length)].astype(np.int64))
    y = torch.from_numpy(dataset[ix + 1 + np.arange(context_length)].astype(np.int64))
    return x.to(device=device, dtype=torch.long), y.to(dtype=torch.long, device=device)
