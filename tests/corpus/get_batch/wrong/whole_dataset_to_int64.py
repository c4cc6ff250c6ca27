"""Converts the whole dataset to an int64 numpy array first, reading (and copying) all of a memmap."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    data = np.array(dataset, dtype=np.int64)
    starts = np.random.randint(0, len(data) - context_length, size=batch_size)
    windows = torch.from_numpy(data[starts[:, None] + np.arange(context_length + 1)]).to(device)
    return windows[:, :-1], windows[:, 1:]
