"""Counts up while total(B) <= budget but returns the first B that does not fit."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    b = 0
    while adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, b + 1)["total"] <= memory_bytes:
        b += 1
    return b + 1 if b > 0 else 0
