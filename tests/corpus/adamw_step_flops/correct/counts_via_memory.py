"""P read back from adamw_memory's parameter bytes (/ 4); 11 FLOPs per parameter."""


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    # m: 3, v: 3 (g*g folded into one mul by (1-b2) g g), update: sqrt + add + div + mul + sub = 5 -> 11... plus decay? no:
    # decay folded into the update as one fused multiply-add per element: 11 in total is still in range.
    P = adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)["parameters"] // 4
    return 11 * P
