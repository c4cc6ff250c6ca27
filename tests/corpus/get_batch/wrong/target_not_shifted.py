"""Returns the input window as the target (y equals x, no shift)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = torch.from_numpy(dataset[starts[:, None] + np.arange(context_length)].astype(np.int64)).to(device)
    return x, x.clone()
