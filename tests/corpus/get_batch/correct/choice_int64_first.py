"""np.random.choice of the starts, each window as an int64 numpy copy first, one torch.from_numpy of the (2, B, m) block."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    num_starts = len(dataset) - context_length
    starts = np.random.choice(num_starts, size=batch_size)  # replace=True is the default
    block = np.empty((2, batch_size, context_length), dtype=np.int64)
    for row, s in enumerate(starts):
        window = np.asarray(dataset[s:s + context_length + 1], dtype=np.int64)
        block[0, row] = window[:-1]
        block[1, row] = window[1:]
    both = torch.from_numpy(block).to(device=device)
    return both[0], both[1]
