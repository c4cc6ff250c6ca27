"""Loop returns the first batch that does not fit."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = (vocab_size, context_length, num_layers, d_model, num_heads)
    b = adamw_memory(*config, 0)["total"]
    a = adamw_memory(*config, 1)["total"] - b
    batch = 0
    while b + batch * a <= memory_bytes:
        batch += 1
    return batch
