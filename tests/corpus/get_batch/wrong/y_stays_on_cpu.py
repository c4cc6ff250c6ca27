"""Moves x to the device but forgets y, which stays on the CPU."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    ix = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = torch.from_numpy(np.stack([dataset[i:i + context_length] for i in ix]).astype(np.int64)).to(device)
    y = torch.from_numpy(np.stack([dataset[i + 1:i + 1 + context_length] for i in ix]).astype(np.int64))
    return x, y
