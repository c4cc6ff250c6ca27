"""Counts only the per-layer weights (no embedding, no lm_head, no final norm) times 12."""


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    d = d_model
    return 12 * num_layers * (12 * d * d + 2 * d)
