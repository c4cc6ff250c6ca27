"""The 6 x parameters x tokens rule of thumb, which leaves out attention products."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    V, T, L, d, h, B = args
    return 6 * B * T * (L * 12 * d * d + d * V) + adamw_step_flops(*args)
