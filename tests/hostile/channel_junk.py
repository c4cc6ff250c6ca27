"""Class 11: well-framed junk on the channel: JSON nested 100,000 deep."""
# expect: points<=0 status=error
import gc
import struct

for _obj in gc.get_objects():
    if type(_obj).__name__ == "Connection":
        _junk = b"[" * 100_000 + b"]" * 100_000
        _obj.send_bytes(_junk)


def cross_entropy(inputs, targets):
    raise NotImplementedError
