"""Closed form with numpy: floor((budget - fixed) / per_sequence), clipped at 0, returned as numpy int64."""
import numpy as np


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = dict(vocab_size=vocab_size, context_length=context_length, num_layers=num_layers,
                  d_model=d_model, num_heads=num_heads)
    fixed = adamw_memory(**config, batch_size=0)["total"]
    per_sequence = adamw_memory(**config, batch_size=1)["total"] - fixed
    return np.int64(max(0, (int(memory_bytes) - fixed) // per_sequence))
