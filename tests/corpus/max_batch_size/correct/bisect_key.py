"""Binary search with bisect over the batch sizes, keyed by adamw_memory's total."""
import bisect


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    def total(batch_size):
        return adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size)["total"]

    upper = 1
    while total(upper) <= memory_bytes:
        upper *= 2
    # the first batch size whose total exceeds the budget, minus one
    return max(0, bisect.bisect_right(range(upper + 1), memory_bytes, key=total) - 1)
