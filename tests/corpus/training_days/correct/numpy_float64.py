"""numpy float64 arithmetic; returns a numpy float64 (a float subclass)."""
import numpy as np


def training_days(num_steps, batch_size, peak_flops_per_second, mfu, vocab_size, context_length,
                  num_layers, d_model, num_heads):
    flops = np.float64(training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size))
    seconds = num_steps * flops / (np.float64(peak_flops_per_second) * mfu)
    return seconds / np.float64(24 * 60 * 60)
