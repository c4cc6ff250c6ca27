"""Attention products sized as if each head had width d: 2 B h T^2 d each."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    return L * (24 * B * T * d * d + 4 * B * h * T * T * d) + 2 * B * T * d * V
