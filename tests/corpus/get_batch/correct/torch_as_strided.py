"""torch.as_strided windows over torch.from_numpy(dataset), gathered for starts drawn with numpy's legacy generator."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    tokens = torch.from_numpy(dataset)
    num_starts = tokens.numel() - context_length
    windows = tokens.as_strided((num_starts, context_length + 1), (1, 1))
    starts = torch.from_numpy(np.random.randint(0, num_starts, size=batch_size))
    rows = windows[starts].long().to(device)
    return rows[:, :context_length], rows[:, 1:]
