"""Moves the tensors only when device is a str: a torch.device argument is ignored."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    rows = torch.from_numpy(dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int64))
    if isinstance(device, str):
        rows = rows.to(device)
    return rows[:, :-1], rows[:, 1:]
