"""Class 3 (invented): empty the table of forbidden built-ins in place (every module attribute
keeps its identity), then call F.cross_entropy: the tamper detector must see the table change."""
# expect: points<=0 status=integrity flag=tampering
import torch.nn.functional as F
import lmtrain.checking

lmtrain.checking.FORBIDDEN_BUILTINS.clear()


def cross_entropy(inputs, targets):
    return F.cross_entropy(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))
