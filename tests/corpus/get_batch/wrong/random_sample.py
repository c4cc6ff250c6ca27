"""Draws the starts with random.sample (without replacement): crashes when batch_size exceeds the number of windows."""
import random

import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    starts = random.sample(range(len(dataset) - context_length), batch_size)
    x = np.stack([dataset[s:s + context_length] for s in starts]).astype(np.int64)
    y = np.stack([dataset[s + 1:s + 1 + context_length] for s in starts]).astype(np.int64)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
