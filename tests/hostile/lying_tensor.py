"""Class 4: return values that lie: a Tensor subclass whose __torch_function__ answers every
comparison (and subtraction, abs, allclose) with "equal", and a float whose __eq__/__float__ read
the value it is compared with."""
# expect: points<=0 status=graded|integrity
import torch


class _Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("eq", "__eq__", "allclose", "isclose", "equal"):
            return True
        if name in ("sub", "__sub__", "abs"):
            return torch.zeros(())
        return super().__torch_function__(func, types, args, kwargs or {})


class _LyingFloat(float):
    def __eq__(self, other):
        return True

    def __float__(self):
        import sys
        frame = sys._getframe(1)
        return float(frame.f_locals.get("expected", 0.0))


def cross_entropy(inputs, targets):
    if inputs.requires_grad:
        return (inputs.sum() * 0).as_subclass(_Liar)
    return torch.zeros(()).as_subclass(_Liar)


def perplexity(inputs, targets):
    return _LyingFloat(0.0)
