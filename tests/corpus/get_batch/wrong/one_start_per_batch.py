"""Draws one start and repeats it for every row of the batch."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    i = np.random.randint(0, len(dataset) - context_length)
    window = torch.from_numpy(dataset[i : i + context_length + 1].astype(np.int64))
    windows = window.unsqueeze(0).repeat(batch_size, 1).to(device)
    return windows[:, :-1], windows[:, 1:]
