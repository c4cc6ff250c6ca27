"""Counts 12 bytes per parameter (forgets the gradients) in the fixed part."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = (vocab_size, context_length, num_layers, d_model, num_heads)
    b = adamw_memory(*config, 0)["total"]
    a = adamw_memory(*config, 1)["total"] - b
    p = adamw_memory(*config, 0)['parameters']
    return max(0, int((memory_bytes - 3 * p) // a))
