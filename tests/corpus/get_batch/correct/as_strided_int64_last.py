"""as_strided windows of the memmap, torch.from_numpy on the uint16 rows, converted with .to(device, torch.long)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    num_starts = dataset.shape[0] - context_length
    step = dataset.strides[0]
    view = np.lib.stride_tricks.as_strided(dataset, shape=(num_starts, context_length + 1), strides=(step, step), writeable=False)
    starts = torch.randint(0, num_starts, (batch_size,)).numpy()
    rows = torch.from_numpy(np.ascontiguousarray(view[starts]).astype(np.int64, copy=False))
    rows = rows.to(device=device, dtype=torch.long)
    return rows[:, :-1], rows[:, 1:]
