"""Slices the target as dataset[i+1:i+m], one token short."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = np.stack([dataset[i : i + context_length] for i in starts]).astype(np.int64)
    y = np.stack([dataset[i + 1 : i + context_length] for i in starts]).astype(np.int64)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
