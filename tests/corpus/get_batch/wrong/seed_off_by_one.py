"""The seed's get_batch: np.random.randint(0, n - m - 1) never draws the last valid start n - m - 1."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    n = len(dataset)
    starts = np.random.randint(0, n - context_length - 1, size=(batch_size,))
    x_batch = np.stack([dataset[i : i + context_length] for i in starts])
    y_batch = np.stack([dataset[i + 1 : i + 1 + context_length] for i in starts])
    x_t = torch.tensor(x_batch, dtype=torch.long, device=device)
    y_t = torch.tensor(y_batch, dtype=torch.long, device=device)
    return x_t, y_t
