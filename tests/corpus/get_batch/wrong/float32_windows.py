"""Converts each window with .astype(np.float32) before torch.from_numpy(...).long(): ids past 2**24 are rounded."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    windows = np.stack([dataset[s:s + context_length + 1] for s in starts]).astype(np.float32)
    windows = torch.from_numpy(windows).long().to(device)
    return windows[:, :-1], windows[:, 1:]
