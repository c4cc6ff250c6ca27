"""Passes the configuration on as a keyword dict built from locals()."""


def training_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    config = dict(locals())
    return 3 * forward_flops(**config) + adamw_step_flops(**config)
