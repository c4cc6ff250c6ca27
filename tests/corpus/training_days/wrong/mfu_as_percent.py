"""Treats mfu as a percentage and divides it by 100."""


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    per_step = training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    return num_steps * per_step / (peak_flops_per_second * mfu / 100) / 86400
