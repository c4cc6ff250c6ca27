"""Draws the starts on the device and fancy-indexes numpy with that tensor: breaks on a GPU (no numpy view of device memory)."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    starts = torch.randint(0, len(dataset) - context_length, (batch_size, 1), device=device)
    index = starts + torch.arange(context_length + 1, device=device)
    windows = torch.from_numpy(dataset[np.asarray(index)].astype(np.int64)).to(device)
    return windows[:, :-1], windows[:, 1:]
