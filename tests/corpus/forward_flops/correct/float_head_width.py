"""Head width as a float d / h, and 2mnk written per sequence then times the batch; returns a float."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    T, d, h = context_length, d_model, num_heads
    head = d / h
    per_sequence_layer = 2 * T * d * 3 * d + h * (2 * T * head * T + 2 * T * T * head) + 2 * T * d * d + 2 * (2 * T * d * 4 * d)
    return batch_size * (num_layers * per_sequence_layer + 2.0 * T * d * vocab_size)
