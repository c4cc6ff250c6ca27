"""Own closed form for P (no call of adamw_memory); 12 FLOPs per parameter."""


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, L, d = vocab_size, num_layers, d_model
    parameters = 2 * V * d + L * (4 * d * d + 8 * d * d + 2 * d) + d
    # m: 3, v: 3 (g*g times (1 - b2) as one fused op), step: sqrt, + eps, divide, times alpha_t, subtract (5); decay 1
    return 12 * parameters
