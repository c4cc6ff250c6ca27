"""Reads P from adamw_memory's optimizer_state bytes (which hold 2P numbers), so it counts every parameter twice."""


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    P = adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)["optimizer_state"] // 4
    return 14 * P
