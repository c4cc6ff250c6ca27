"""Draws starts from 1 .. n - m - 1 (random.randint with low 1): the first window is never sampled."""

import random

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = [random.randint(1, len(dataset) - context_length - 1) for _ in range(batch_size)]
    x = torch.tensor(np.stack([dataset[i : i + context_length] for i in starts]).astype(np.int64), device=device)
    y = torch.tensor(np.stack([dataset[i + 1 : i + context_length + 1] for i in starts]).astype(np.int64), device=device)
    return x, y
