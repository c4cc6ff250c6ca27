"""Ignores the (tiny) AdamW term: 3 x forward FLOPs per step, keyword arguments, hours then days."""


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    per_step = 3 * forward_flops(vocab_size=vocab_size, context_length=context_length, num_layers=num_layers,
                                 d_model=d_model, num_heads=num_heads, batch_size=batch_size)
    hours = num_steps * per_step / (peak_flops_per_second * mfu) / 3600
    return hours / 24
