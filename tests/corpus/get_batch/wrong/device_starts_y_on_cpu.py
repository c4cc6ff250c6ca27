"""Draws the starts on the device with torch.randint, but only x is moved to the device; y stays on the CPU."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    ix = torch.randint(0, len(dataset) - context_length, (batch_size,), device=device)
    x = torch.stack([torch.from_numpy(dataset[i:i + context_length].astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy(dataset[i + 1:i + 1 + context_length].astype(np.int64)) for i in ix])
    return x.to(device), y
