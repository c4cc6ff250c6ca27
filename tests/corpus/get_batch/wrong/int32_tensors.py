"""Returns int32 tensors instead of int64."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    windows = dataset[starts[:, None] + np.arange(context_length + 1)].astype(np.int32)
    windows = torch.from_numpy(windows).to(device)
    return windows[:, :-1], windows[:, 1:]
