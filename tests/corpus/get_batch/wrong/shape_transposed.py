"""Stacks the windows along dimension 1: x and y come out as (m, B) instead of (B, m)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = torch.stack([torch.from_numpy(dataset[i:i + context_length].astype(np.int64)) for i in starts], dim=1)
    y = torch.stack([torch.from_numpy(dataset[i + 1:i + 1 + context_length].astype(np.int64)) for i in starts], dim=1)
    return x.to(device), y.to(device)
