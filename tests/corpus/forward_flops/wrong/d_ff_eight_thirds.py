"""FFN with d_ff = 8/3 d."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    d_ff = int(8 * d / 3)
    return L * (8 * B * T * d * d + 4 * B * T * d * d_ff + 4 * B * T * T * d) + 2 * B * T * d * V
