"""Multiplies c by the parameter bytes (4 P) instead of the parameter count."""


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    return 12 * adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)["parameters"]
