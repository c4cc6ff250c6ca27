"""Converts the byte budget as if it were GiB to GB (x 2**30 / 1e9)."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = (vocab_size, context_length, num_layers, d_model, num_heads)
    b = adamw_memory(*config, 0)["total"]
    a = adamw_memory(*config, 1)["total"] - b
    return max(0, int((memory_bytes * 2**30 / 10**9 - b) // a))
