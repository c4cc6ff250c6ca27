"""L(24 B T d^2 + 4 B T^2 d) + 2 B T d V."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    return L * (24 * B * T * d * d + 4 * B * T * T * d) + 2 * B * T * d * V
