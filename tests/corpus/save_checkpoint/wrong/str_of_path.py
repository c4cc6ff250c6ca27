"""Opens paths itself with open(str(out), "wb"): str() of an os.PathLike that is not a pathlib.Path is not its path."""
import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    if hasattr(out, "write"):
        torch.save(checkpoint, out)
    else:
        with open(str(out), "wb") as handle:
            torch.save(checkpoint, handle)
