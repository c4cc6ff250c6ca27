"""The seed's code with the bound fixed to randint(0, n - m), building the tensors with torch.tensor(..., device=device)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    n = len(dataset)
    starts = np.random.randint(0, n - context_length, size=(batch_size,))
    x_batch = np.stack([dataset[i : i + context_length] for i in starts])
    y_batch = np.stack([dataset[i + 1 : i + 1 + context_length] for i in starts])
    return (torch.tensor(x_batch, dtype=torch.long, device=device),
            torch.tensor(y_batch, dtype=torch.long, device=device))
