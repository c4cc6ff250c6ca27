"""Adds up the products one by one, with an explicit loop over layers and over heads for QK^T and AV."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    B, T, d, h = batch_size, context_length, d_model, num_heads
    d_head = d // h
    total = 0
    for _ in range(num_layers):
        for _projection in ("q", "k", "v", "o"):
            total += 2 * (B * T) * d * d
        for _head in range(h):
            total += 2 * B * T * T * d_head  # Q K^T: (T x d_head) @ (d_head x T)
            total += 2 * B * T * d_head * T  # A V: (T x T) @ (T x d_head)
        total += 2 * (B * T) * d * (4 * d)  # W1
        total += 2 * (B * T) * (4 * d) * d  # W2
    total += 2 * (B * T) * d * vocab_size  # lm_head
    return total
