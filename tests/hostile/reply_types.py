"""Class 11: replies whose fields have unexpected types (an unhashable cell name, a dict key that is
a tuple holding a list, an int where text goes), sent by a replaced runner `_send`."""
# expect: points<=0 status=graded|error|integrity
import sys

_runner = sys.modules["autograder.sandbox.runner"]
_real_send = _runner._send


def _bad_send(conn, reply):
    if "index" in reply:
        reply["where"] = [[[], 1], [{"a": 1}, 2]]
        reply["stdout"] = 12
        reply["tampered"] = {"x": 1}
        reply["values"] = {"got": {"$": "dict", "items": [[{"$": "tuple", "items": [[1]]}, 1]]},
                           "results": {"$": "tensor", "dtype": "bool", "shape": [2], "data": "AgI=",
                                       "requires_grad": False, "device": "cpu"}}
    _real_send(conn, reply)


_runner._send = _bad_send


def cross_entropy(inputs, targets):
    raise NotImplementedError
