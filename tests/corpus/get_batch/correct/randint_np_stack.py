"""torch.randint for the starts, np.stack of the memmap slices, torch.from_numpy(...).long() then .to(device)."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    starts = torch.randint(len(dataset) - context_length, (batch_size,)).tolist()
    x = np.stack([dataset[s:s + context_length] for s in starts])
    y = np.stack([dataset[s + 1:s + 1 + context_length] for s in starts])
    return torch.from_numpy(x).long().to(device), torch.from_numpy(y).long().to(device)
