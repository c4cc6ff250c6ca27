"""Multiplies by batch_size again although training_step_flops already covers the whole batch."""


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    per_step = training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    return num_steps * batch_size * per_step / (peak_flops_per_second * mfu) / 86400
