"""Its own closed form of a step: 24 B T d^2 + 4 B T^2 d per layer plus the lm_head, times 3, and 14 FLOPs per parameter."""


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    B, T, L, d, V = batch_size, context_length, num_layers, d_model, vocab_size
    forward = L * (24 * B * T * d * d + 4 * B * T * T * d) + 2 * B * T * d * V
    parameters = 2 * V * d + L * (12 * d * d + 2 * d) + d
    seconds = num_steps * (3 * forward + 14 * parameters) / (peak_flops_per_second * mfu)
    return seconds / 86_400
