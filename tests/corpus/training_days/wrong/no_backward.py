"""Forgets the backward pass: forward FLOPs plus the AdamW update per step."""


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    forward = forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    return num_steps * (forward + adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)) \
        / (peak_flops_per_second * mfu) / 86400
