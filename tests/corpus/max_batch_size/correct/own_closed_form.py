"""Own closed form a = 4 A(1), b = 16 P, with integer division."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = (vocab_size, context_length, num_layers, d_model, num_heads)
    b = adamw_memory(*config, 0)["total"]
    a = adamw_memory(*config, 1)["total"] - b
    V, T, L, d, h = config
    P = 2 * V * d + L * (12 * d * d + 2 * d) + d
    per = 4 * (L * (16 * T * d + 2 * h * T * T) + T * d + 2 * T * V)
    spare = int(memory_bytes) - 16 * P
    return spare // per if spare >= 0 else 0
