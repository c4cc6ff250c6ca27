"""Calls with keyword arguments."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    args = (vocab_size, context_length, num_layers, d_model, num_heads, batch_size)
    names = ('vocab_size', 'context_length', 'num_layers', 'd_model', 'num_heads', 'batch_size')
    kwargs = dict(zip(names, args))
    return 3 * forward_flops(**kwargs) + adamw_step_flops(**kwargs)
