"""Draws the starts as int32 (np.random.randint(..., dtype=np.int32)): a corpus of more than 2**31 tokens cannot be sampled."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size, dtype=np.int32)
    windows = dataset[starts[:, None] + np.arange(context_length + 1, dtype=np.int32)]
    windows = torch.from_numpy(windows.astype(np.int64)).to(device)
    return windows[:, :-1], windows[:, 1:]
