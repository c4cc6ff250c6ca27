"""Opens paths itself with open(str(src)): str() of an os.PathLike that is not a pathlib.Path is not its path."""
import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def load_checkpoint(src, model, optimizer):
    if hasattr(src, "read"):
        checkpoint = torch.load(src, weights_only=True)
    else:
        with open(str(src), "rb") as handle:
            checkpoint = torch.load(handle, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])
