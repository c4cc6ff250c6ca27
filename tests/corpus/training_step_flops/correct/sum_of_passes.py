"""forward + backward + update written as three terms."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    forward = forward_flops(*args)
    backward = 2 * forward
    return forward + backward + adamw_step_flops(*args)
