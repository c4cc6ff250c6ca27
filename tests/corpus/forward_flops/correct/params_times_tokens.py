"""2 x tokens x matmul parameters, plus the attention products."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    matmul_params = L * 12 * d * d + d * V
    return 2 * B * T * matmul_params + L * 2 * 2 * B * T * T * d
