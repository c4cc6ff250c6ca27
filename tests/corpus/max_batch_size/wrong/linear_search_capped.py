"""Tries batch sizes 1 to 100 000 one by one and keeps the last that fits."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    best = 0
    for batch in range(1, 100_001):
        if adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch)["total"] > memory_bytes:
            break
        best = batch
    return best
