"""Shifts the inputs instead of the targets: x = dataset[i+1:i+m+1], y = dataset[i:i+m]."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    windows = torch.from_numpy(dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int64)).to(device)
    return windows[:, 1:], windows[:, :-1]
