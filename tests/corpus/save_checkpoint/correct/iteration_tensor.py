"""Takes the state dict under torch.no_grad() and saves the iteration as a 0-dim int64 tensor."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    with torch.no_grad():
        model_state = model.state_dict()
    torch.save({"model": model_state, "optimizer": optimizer.state_dict(),
                "iteration": torch.tensor(iteration, dtype=torch.int64)}, out)
