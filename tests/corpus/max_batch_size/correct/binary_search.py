"""Binary search over the batch size on adamw_memory's total."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = (vocab_size, context_length, num_layers, d_model, num_heads)
    b = adamw_memory(*config, 0)["total"]
    a = adamw_memory(*config, 1)["total"] - b
    lo, hi = 0, 1
    while adamw_memory(*config, hi)['total'] <= memory_bytes:
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if adamw_memory(*config, mid)['total'] <= memory_bytes:
            lo = mid
        else:
            hi = mid
    return lo
