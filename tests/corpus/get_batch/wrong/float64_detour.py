"""Builds the batch with torch.tensor(..., dtype=torch.float64) and then .long(): ids near 2**63 are rounded."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = torch.tensor(np.stack([dataset[s:s + context_length] for s in starts]), dtype=torch.float64)
    y = torch.tensor(np.stack([dataset[s + 1:s + context_length + 1] for s in starts]), dtype=torch.float64)
    return x.long().to(device), y.long().to(device)
