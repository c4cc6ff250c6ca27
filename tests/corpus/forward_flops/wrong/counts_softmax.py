"""Adds 5 FLOPs per attention score for the softmax, which the task says to ignore (element-wise work)."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    B, T, d, h = batch_size, context_length, d_model, num_heads
    per_layer = 2 * B * T * d * (3 * d) + 2 * 2 * B * h * T * T * (d // h) + 2 * B * T * d * d + 2 * 2 * B * T * d * 4 * d
    softmax = 5 * B * h * T * T
    return num_layers * (per_layer + softmax) + 2 * B * T * d * vocab_size
