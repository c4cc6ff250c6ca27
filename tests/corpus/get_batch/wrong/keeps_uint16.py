"""Keeps the dataset's dtype: a uint16 dataset gives torch.uint16 tensors."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    windows = torch.from_numpy(np.ascontiguousarray(dataset[starts[:, None] + np.arange(context_length + 1)])).to(device)
    return windows[:, :-1], windows[:, 1:]
