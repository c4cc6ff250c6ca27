"""Draws the target rows' starts separately from the input rows': y is not x shifted by one."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(dataset)
    ix = np.random.randint(0, n - context_length, size=batch_size)
    iy = np.random.randint(1, n - context_length + 1, size=batch_size)
    x = np.stack([dataset[i:i + context_length] for i in ix]).astype(np.int64)
    y = np.stack([dataset[i:i + context_length] for i in iy]).astype(np.int64)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
