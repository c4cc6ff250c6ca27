"""Counts with torch tensors and returns 0-dim int64 tensors, not ints."""
import torch


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = (torch.tensor(x, dtype=torch.int64) for x in
                        (vocab_size, context_length, num_layers, d_model, num_heads, batch_size))
    P = 2 * V * d + L * (12 * d * d + 2 * d) + d
    A = L * (16 * B * T * d + 2 * B * h * T * T) + B * T * d + 2 * B * T * V
    memory = {"parameters": 4 * P, "gradients": 4 * P, "optimizer_state": 8 * P, "activations": 4 * A}
    memory["total"] = sum(memory.values())
    return memory
