"""Python ints for the starts (random.randrange: arbitrary precision), one slice per row, int64 via torch.as_tensor."""

import random

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = [random.randrange(len(dataset) - context_length) for _ in range(batch_size)]
    rows = np.stack([dataset[s:s + context_length + 1] for s in starts]).astype(np.int64)
    batch = torch.as_tensor(rows, device=device)
    return batch[:, :-1], batch[:, 1:]
