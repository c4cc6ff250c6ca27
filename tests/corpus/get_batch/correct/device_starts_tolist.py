"""Draws the starts on the device, reads them with .tolist(), and builds int64 tensors with device=device."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = torch.randint(len(dataset) - context_length, (batch_size,), device=device).tolist()
    x = np.stack([dataset[i:i + context_length] for i in starts]).astype(np.int64)
    y = np.stack([dataset[i + 1:i + 1 + context_length] for i in starts]).astype(np.int64)
    return torch.tensor(x, device=device), torch.tensor(y, dtype=torch.long, device=device)
