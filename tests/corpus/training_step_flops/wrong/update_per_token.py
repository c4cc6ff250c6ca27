"""Counts the AdamW update once per token of the batch instead of once per step."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    return 3 * forward_flops(*args) + batch_size * context_length * adamw_step_flops(*args)
