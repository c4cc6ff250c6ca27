"""Truncates the utilization to an integer (int(0.5) == 0) and divides in numpy float64, which
gives inf instead of raising ZeroDivisionError: infinitely many days, whatever the model."""

import numpy as np


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    step = training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    with np.errstate(divide="ignore"):
        seconds = np.float64(num_steps * step) / (peak_flops_per_second * int(mfu))
    return float(seconds / 86_400)
