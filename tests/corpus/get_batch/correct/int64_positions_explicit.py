"""Starts drawn as int64 with torch.randint(dtype=torch.int64), positions built in int64, gathered with np.take."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = torch.randint(0, len(dataset) - context_length, (batch_size,), dtype=torch.int64).numpy()
    positions = starts[:, None] + np.arange(context_length + 1, dtype=np.int64)
    windows = torch.from_numpy(np.take(dataset, positions).astype(np.int64)).to(device)
    return windows[:, :-1], windows[:, 1:]
