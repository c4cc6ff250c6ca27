"""Class 11: write a message header to the sandbox's channel that promises more bytes than follow,
then sleep: a grader that reads without a deadline hangs, and the whole class with it."""
# expect: points<=0 status=timeout|error
import gc
import os
import struct
import time

for _obj in gc.get_objects():
    if type(_obj).__name__ == "Connection":
        try:
            os.write(_obj.fileno(), struct.pack("!i", 1000) + b"{")
        except OSError:
            pass
time.sleep(10_000)


def cross_entropy(inputs, targets):
    raise NotImplementedError
