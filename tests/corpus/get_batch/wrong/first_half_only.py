"""Draws starts only from the first half of the dataset (integer division in the bound)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, max(1, (len(dataset) - context_length) // 2 + 1), size=batch_size)
    windows = torch.from_numpy(dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int64)).to(device)
    return windows[:, :-1], windows[:, 1:]
