"""Doubles an upper bound until it no longer fits, then bisects between the last two powers of two."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    def fits(b):
        return adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, b)["total"] <= memory_bytes

    if not fits(1):
        return 0
    hi = 1
    while fits(hi * 2):
        hi *= 2
    lo, hi = hi, hi * 2  # fits(lo), not fits(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo
