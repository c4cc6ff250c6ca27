"""Uses range() on the budget, which fails for a float budget such as 80e9 (the task allows int or float)."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = dict(vocab_size=vocab_size, context_length=context_length, num_layers=num_layers, d_model=d_model,
                  num_heads=num_heads)
    fixed = adamw_memory(**config, batch_size=0)["total"]
    per_sequence = adamw_memory(**config, batch_size=1)["total"] - fixed
    steps = range(fixed, memory_bytes + 1, per_sequence)  # TypeError for a float budget
    return max(0, len(steps) - 1)
