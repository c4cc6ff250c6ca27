"""Names the achieved rate first."""


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    step = training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    achieved = mfu * peak_flops_per_second
    total = num_steps * step
    return float(total / achieved / 86_400)
