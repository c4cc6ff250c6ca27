"""Its own count of the update (10 FLOPs per parameter, P from adamw_memory) instead of calling adamw_step_flops."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    parameters = adamw_memory(*args)["parameters"] // 4
    return 3 * forward_flops(*args) + 10 * parameters
