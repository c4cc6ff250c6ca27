"""Takes the first batch_size starts of a permutation (no replacement): fewer rows than asked when the batch exceeds the windows."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.permutation(len(dataset) - context_length)[:batch_size]
    rows = torch.from_numpy(dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int64)).to(device)
    return rows[:, :-1], rows[:, 1:]
