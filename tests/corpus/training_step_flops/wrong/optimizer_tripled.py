"""Multiplies the AdamW update by 3 as well."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    return 3 * (forward_flops(*args) + adamw_step_flops(*args))
