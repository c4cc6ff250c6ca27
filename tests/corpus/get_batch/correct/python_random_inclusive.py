"""Python's random.randint, whose upper bound is inclusive, and separate index arrays for x and y."""

import random

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    last_start = len(dataset) - context_length - 1
    starts = np.array([random.randint(0, last_start) for _ in range(batch_size)])
    index = starts[:, None] + np.arange(context_length)
    x = torch.from_numpy(dataset[index].astype(np.int64))
    y = torch.from_numpy(dataset[index + 1].astype(np.int64))
    return x.to(device=device), y.to(device=device)
