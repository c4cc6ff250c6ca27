"""Converts the budget to elements (bytes / 4) and floors that first, then divides: off by one at the edge."""
import math


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = (vocab_size, context_length, num_layers, d_model, num_heads)
    fixed = adamw_memory(*config, 0)["total"] / 4
    per_sequence = (adamw_memory(*config, 1)["total"] - adamw_memory(*config, 0)["total"]) / 4
    elements = round(memory_bytes / 4)
    return max(0, math.floor((elements - fixed) / per_sequence))
