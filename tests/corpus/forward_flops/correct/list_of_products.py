"""Sums 2mnk over an explicit list of (m, k, n) products."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    hd = d // h
    layer = [(B * T, d, d)] * 4 + [(T, hd, T)] * (B * h) + [(T, T, hd)] * (B * h) + [(B * T, d, 4 * d), (B * T, 4 * d, d)]
    products = layer * L + [(B * T, d, V)]
    return sum(2 * m * k * n for m, k, n in products)
