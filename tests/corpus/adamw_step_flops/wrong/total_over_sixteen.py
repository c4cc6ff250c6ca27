"""Takes P as adamw_memory's total / 16, which includes the activations and so grows with the batch."""


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    P = adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)["total"] // 16
    return 14 * P
