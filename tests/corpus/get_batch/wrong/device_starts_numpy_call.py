"""Draws the starts on the device and calls .numpy() on them: fails on a GPU (copy back with .cpu() first)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = torch.randint(0, len(dataset) - context_length, (batch_size,), device=device).numpy()
    rows = torch.from_numpy(dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int64)).to(device)
    return rows[:, :-1], rows[:, 1:]
