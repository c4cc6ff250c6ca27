"""Accumulates bytes layer by layer in a loop, float32 = 4 bytes."""

FLOAT32_BYTES = 4


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    tokens = batch_size * context_length
    params = vocab_size * d_model  # embedding
    acts = 0
    for _ in range(num_layers):
        params += d_model                          # RMSNorm 1
        params += 4 * d_model * d_model           # W_Q, W_K, W_V, W_O
        params += d_model                          # RMSNorm 2
        params += 2 * d_model * 4 * d_model       # W1, W2
        acts += tokens * d_model                   # RMSNorm 1 output
        acts += 3 * tokens * d_model               # Q, K, V
        acts += 2 * batch_size * num_heads * context_length * context_length  # scores, softmax
        acts += 2 * tokens * d_model               # weighted sum, output projection
        acts += tokens * d_model                   # RMSNorm 2 output
        acts += 2 * tokens * 4 * d_model           # W1, SiLU
        acts += tokens * d_model                   # W2
    params += d_model + vocab_size * d_model       # final norm, lm_head
    acts += tokens * d_model + 2 * tokens * vocab_size
    memory = {
        "parameters": FLOAT32_BYTES * params,
        "gradients": FLOAT32_BYTES * params,
        "optimizer_state": 2 * FLOAT32_BYTES * params,
        "activations": FLOAT32_BYTES * acts,
    }
    memory["total"] = sum(memory.values())
    return memory
