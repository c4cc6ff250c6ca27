"""Cuts the dataset into non-overlapping blocks of m tokens and samples blocks: only starts that are multiples of m."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    num_blocks = (len(dataset) - 1) // context_length
    block = np.random.randint(0, num_blocks, size=batch_size)
    starts = block * context_length
    x = np.stack([dataset[s:s + context_length] for s in starts]).astype(np.int64)
    y = np.stack([dataset[s + 1:s + 1 + context_length] for s in starts]).astype(np.int64)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
