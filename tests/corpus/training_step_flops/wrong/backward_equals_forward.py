"""Backward counted as one forward: 2 x forward + AdamW."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    return 2 * forward_flops(*args) + adamw_step_flops(*args)
