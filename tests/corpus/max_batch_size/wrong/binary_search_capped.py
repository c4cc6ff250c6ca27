"""Binary search between 0 and a fixed upper bound of 2**20 sequences: a larger answer is cut to the bound."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    def fits(b):
        return adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, b)["total"] <= memory_bytes

    lo, hi = 0, 2**20  # surely no GPU holds more than a million sequences
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
