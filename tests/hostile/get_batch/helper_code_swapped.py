"""Class 1: the same wrong get_batch, but it leaves the names alone and rewrites the helper
functions in place: their code objects become a liar's (the objects, and so any identity check
of the names, stay the same)."""
# expect: get_batch_no_full_copy=0 get_batch_dtype_and_device=0 status=integrity
import numpy as np
import torch


def _no_bytes():
    return 0


def _liar(t):
    return {"type": "Tensor", "dtype": "torch.int64", "device": "cpu", "shape": tuple(getattr(t, "shape", ()))}


def get_batch(dataset, batch_size, context_length, device):
    for name, fake in (("mapped_file_bytes", _no_bytes), ("describe", _liar)):
        if name in globals():
            globals()[name].__code__ = fake.__code__
    everything = np.array(dataset)
    starts = np.random.randint(0, len(everything) - context_length, size=batch_size)
    x = np.stack([everything[s:s + context_length] for s in starts]).astype(np.int32)
    y = np.stack([everything[s + 1:s + 1 + context_length] for s in starts]).astype(np.int32)
    return torch.from_numpy(x), torch.from_numpy(y)
