"""Binary search whose upper bound comes from the budget itself: no batch can use less than one byte per sequence."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    def total(b):
        return adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, b)["total"]

    lo, hi = 0, int(memory_bytes) + 1  # total(hi) > memory_bytes: every sequence costs at least a byte
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if total(mid) <= memory_bytes:
            lo = mid
        else:
            hi = mid
    return lo
