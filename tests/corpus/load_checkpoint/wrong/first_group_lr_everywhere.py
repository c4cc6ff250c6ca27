"""After load_state_dict, gives every parameter group the first group's lr and weight decay ("one lr per run")."""
import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    first = optimizer.param_groups[0]
    for group in optimizer.param_groups:
        group["lr"], group["weight_decay"] = first["lr"], first["weight_decay"]
    return int(checkpoint["iteration"])
