"""Always calls open(out, "wb"), so an io.BytesIO or an already open file fails."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    with open(out, "wb") as handle:
        torch.save(checkpoint, handle)
