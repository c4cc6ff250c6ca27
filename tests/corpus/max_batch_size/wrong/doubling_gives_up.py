"""Doubles an upper bound at most 16 times, then bisects: past 2**16 sequences it answers the bound."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    def fits(b):
        return adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, b)["total"] <= memory_bytes

    if not fits(1):
        return 0
    hi = 1
    for _ in range(16):
        if not fits(hi * 2):
            break
        hi *= 2
    else:
        return hi
    lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo
