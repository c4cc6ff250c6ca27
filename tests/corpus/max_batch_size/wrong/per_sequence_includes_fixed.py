"""Divides the whole budget by total(1), as if every sequence needed its own copy of the weights."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    one = adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, 1)["total"]
    return int(memory_bytes // one)
