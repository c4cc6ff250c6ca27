"""Multiplies only the attention by num_layers, FFN once."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    return L * (8 * B * T * d * d + 4 * B * T * T * d) + 16 * B * T * d * d + 2 * B * T * d * V
