"""Index arithmetic with np.take on a flat index, starts from np.random.default_rng().integers, reshaped rows."""

import numpy as np
import torch

_rng = np.random.default_rng()


def get_batch(dataset, batch_size, context_length, device):
    starts = _rng.integers(0, len(dataset) - context_length, size=batch_size, endpoint=False)
    flat = (starts[:, None] + np.arange(context_length + 1)[None, :]).reshape(-1)
    rows = np.take(dataset, flat).reshape(batch_size, context_length + 1).astype(np.int64)
    batch = torch.as_tensor(rows).to(device=torch.device(device))
    return batch[:, :-1], batch[:, 1:]
