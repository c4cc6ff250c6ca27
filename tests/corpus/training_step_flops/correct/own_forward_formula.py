"""Own closed form for the forward pass."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    V, T, L, d, h, B = args
    forward = L * (24 * B * T * d * d + 4 * B * T * T * d) + 2 * B * T * d * V
    return 3 * forward + adamw_step_flops(*args)
