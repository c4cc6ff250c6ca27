"""Allocates x and y with torch.empty(..., device=device) and copies each row in, from torch.randint starts."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    x = torch.empty((batch_size, context_length), dtype=torch.long, device=device)
    y = torch.empty_like(x)
    for b, start in enumerate(torch.randint(0, len(dataset) - context_length, (batch_size,)).tolist()):
        window = torch.from_numpy(dataset[start:start + context_length + 1].astype(np.int64))
        x[b] = window[:-1]
        y[b] = window[1:]
    return x, y
