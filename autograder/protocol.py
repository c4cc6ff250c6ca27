"""Plain data across the sandbox boundary: what the grader sends, and a strict decoder for what comes back.

The sandbox runs the student's code, so every byte it sends is hostile until
proven otherwise. Messages are JSON (never pickle). Values are tagged plain
data: tensors are raw bytes plus dtype and shape, rebuilt on the grader's
side as exact ``torch.Tensor`` objects (no subclass, no ``__torch_function__``,
nothing to call); numbers, strings, ``None``, lists, tuples and dicts of them.
Anything else is refused with a message that names the type. Sizes, depth and
string lengths are bounded, and every string is made safe to write as UTF-8
(lone surrogates become U+FFFD).

Bounds hold *before* the work they bound: a frame's length is checked from its
header before a byte of it is read, and a message's count of JSON values from
its raw bytes before it is parsed (a list of small numbers takes about 20 times
its text's size once parsed: a 48 MB reply would cost a gigabyte).
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field

__all__ = [
    "MAX_MESSAGE_BYTES",
    "ProtocolError",
    "ExecRequest",
    "GradedEndRequest",
    "Reply",
    "encode_value",
    "decode_value",
    "dumps",
    "loads",
    "parse_reply",
    "tampered_names",
    "safe_text",
]

#: Largest message either side accepts (a graded cell's results are a few kB to a few MB).
MAX_MESSAGE_BYTES = 64 * 2**20
MAX_DEPTH = 12
MAX_ITEMS = 200_000
MAX_TEXT = 20_000
MAX_TENSOR_ELEMENTS = 8 * 2**20
#: JSON values (numbers, strings, lists, objects) in one message, counted before parsing: bounds the
#: parsed message to tens of MB whatever its shape (a tensor is one string, whatever its size).
MAX_JSON_VALUES = 4 * MAX_ITEMS

_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
           "uint64", "bool")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,100}$")


class ProtocolError(ValueError):
    """A message from the sandbox broke the protocol (size, depth, type or shape)."""


class UnencodableValue(TypeError):
    """The student's code produced a value the grader cannot check (raised in the sandbox)."""


def safe_text(value, limit: int = MAX_TEXT) -> str:
    """A str that any UTF-8 writer accepts, at most ``limit`` characters."""
    if not isinstance(value, str):
        return ""
    text = value[:limit]
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def dumps(message: dict) -> bytes:
    """JSON bytes; ``ensure_ascii`` keeps lone surrogates encodable."""
    return json.dumps(message, ensure_ascii=True, allow_nan=True).encode("ascii")


def _count_values(data: bytes) -> int:
    """An upper bound of the JSON values in ``data``, without parsing it: every value but the first
    follows a comma or a colon or opens a list or object (a count done in C, allocating nothing)."""
    return 1 + sum(data.count(mark) for mark in (b",", b":", b"[", b"{"))


def loads(data: bytes) -> dict:
    """Parse one message; any failure (size, syntax, nesting) is a :class:`ProtocolError`."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"a message of {len(data)} bytes (the limit is {MAX_MESSAGE_BYTES})")
    values = _count_values(data)
    if values > MAX_JSON_VALUES:
        raise ProtocolError(f"a message of up to {values} JSON values (the limit is {MAX_JSON_VALUES})")
    try:
        message = json.loads(data)
    except RecursionError:
        raise ProtocolError("a message nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"a message that is not JSON ({str(exc)[:100]})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message that is not a JSON object")
    return message


# ---------------------------------------------------------------------------
# Encoding (runs in the sandbox, on the student's values)
# ---------------------------------------------------------------------------


def encode_value(value, depth: int = 0):
    """Tagged plain data for ``value``; :class:`UnencodableValue` names what cannot be sent."""
    import numpy as np
    import torch

    if depth > MAX_DEPTH:
        raise UnencodableValue(f"nested deeper than {MAX_DEPTH} levels")
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return {"$": "int", "v": str(value)} if abs(value) >= 2**53 else value
    if type(value) is float:
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, torch.Tensor):
        return _encode_tensor(value)
    if isinstance(value, np.ndarray):
        return {"$": "ndarray", "tensor": _encode_tensor(torch.from_numpy(np.ascontiguousarray(value)))}
    if isinstance(value, np.generic):
        return {"$": "numpy", "dtype": str(value.dtype), "v": encode_value(value.item(), depth + 1)}
    if isinstance(value, torch.dtype):
        return {"$": "dtype", "v": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"$": "device", "v": str(value)}
    if isinstance(value, (list, tuple)):
        items = [encode_value(v, depth + 1) for v in value]
        return items if type(value) is list else {"$": "tuple", "items": items}
    if isinstance(value, dict):
        return {"$": "dict", "items": [[encode_value(k, depth + 1), encode_value(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, (bool, int, float, str)):  # subclasses: sent as the plain value
        return encode_value(type(value).__mro__[-2](value), depth)
    raise UnencodableValue(f"a {type(value).__module__}.{type(value).__qualname__}")


def _encode_tensor(tensor) -> dict:
    import torch

    dtype = str(tensor.dtype).removeprefix("torch.")
    if dtype not in _DTYPES:
        raise UnencodableValue(f"a tensor of dtype {dtype}")
    out = {"$": "tensor", "dtype": dtype, "shape": list(tensor.shape), "requires_grad": bool(tensor.requires_grad),
           "device": tensor.device.type}
    if tensor.device.type == "meta":
        return out
    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    raw = flat.view(torch.uint8) if flat.numel() else flat
    out["data"] = base64.b64encode(raw.numpy().tobytes() if flat.numel() else b"").decode("ascii")
    return out


# ---------------------------------------------------------------------------
# Decoding (runs in the grader, on hostile input)
# ---------------------------------------------------------------------------


class Budget:
    """What one reply may still hold: values and tensor elements."""

    def __init__(self):
        self.items = 0
        self.elements = 0

    def take(self, n: int = 1) -> None:
        self.items += n
        if self.items > MAX_ITEMS:
            raise ProtocolError(f"more than {MAX_ITEMS} values in one reply")


def decode_value(data, depth: int = 0, budget: Budget | None = None):
    """Rebuild a value sent by :func:`encode_value`; only plain, exact types come out."""
    import numpy as np
    import torch

    budget = budget or Budget()
    budget.take()
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("a value nested too deeply")
    if data is None or type(data) is bool:
        return data
    if type(data) is str:
        return safe_text(data, MAX_TEXT * 10)
    if type(data) is int:
        return int(data)
    if type(data) is float:
        return float(data)
    if type(data) is list:
        return [decode_value(v, depth + 1, budget) for v in data]
    if type(data) is not dict:
        raise ProtocolError(f"an encoded value of JSON type {type(data).__name__}")
    tag = data.get("$")
    if tag == "int":
        text = data.get("v")
        if type(text) is not str or not re.fullmatch(r"-?[0-9]{1,400}", text):
            raise ProtocolError("a malformed big integer")
        return int(text)
    if tag == "float":
        if data.get("v") not in ("nan", "inf", "-inf"):
            raise ProtocolError("a malformed float")
        return float(data["v"])
    if tag == "tuple":
        return tuple(decode_value(v, depth + 1, budget) for v in _list(data.get("items")))
    if tag == "dict":
        result = {}
        for pair in _list(data.get("items")):
            if type(pair) is not list or len(pair) != 2:
                raise ProtocolError("a malformed dict item")
            key = decode_value(pair[0], depth + 1, budget)
            if not isinstance(key, (str, int, float, bool, tuple, type(None))):
                raise ProtocolError("a dict key that is not a plain value")
            try:
                hash(key)  # a tuple key holding a list
            except TypeError:
                raise ProtocolError("a dict key that is not hashable") from None
            result[key] = decode_value(pair[1], depth + 1, budget)
        return result
    if tag == "tensor":
        return _decode_tensor(data, budget)
    if tag == "ndarray":
        inner = data.get("tensor")
        if type(inner) is not dict or inner.get("device") != "cpu":
            raise ProtocolError("a malformed array")
        return _decode_tensor(inner, budget).numpy()
    if tag == "numpy":
        dtype = data.get("dtype")
        if dtype not in _DTYPES or dtype == "bfloat16":
            raise ProtocolError("a numpy scalar of an unknown dtype")
        inner = decode_value(data.get("v"), depth + 1, budget)
        if type(inner) not in (bool, int, float):
            raise ProtocolError("a malformed numpy scalar")
        return np.dtype(dtype).type(inner)
    if tag == "dtype":
        if data.get("v") not in _DTYPES:
            raise ProtocolError("an unknown dtype")
        return getattr(torch, data["v"])
    if tag == "device":
        text = data.get("v")
        if type(text) is not str or not re.fullmatch(r"(cpu|meta|cuda|mps)(:[0-9]{1,3})?", text):
            raise ProtocolError("an unknown device")
        return torch.device(text)
    raise ProtocolError("an encoded value with an unknown tag")


def _list(value) -> list:
    if type(value) is not list:
        raise ProtocolError("a malformed list")
    return value


def _decode_tensor(data: dict, budget: Budget):
    import torch

    dtype_name, shape = data.get("dtype"), data.get("shape")
    if dtype_name not in _DTYPES:
        raise ProtocolError("a tensor of an unknown dtype")
    if type(shape) is not list or len(shape) > 16 or any(type(n) is not int or n < 0 for n in shape):
        raise ProtocolError("a tensor with a malformed shape")
    numel = math.prod(shape)
    if numel > MAX_TENSOR_ELEMENTS:
        raise ProtocolError(f"a tensor of {numel} elements (the limit is {MAX_TENSOR_ELEMENTS})")
    budget.elements += numel
    if budget.elements > 4 * MAX_TENSOR_ELEMENTS:
        raise ProtocolError("too many tensor elements in one reply")
    dtype = getattr(torch, dtype_name)
    requires_grad = data.get("requires_grad") is True
    if data.get("device") == "meta":
        return torch.empty(shape, dtype=dtype, device="meta")
    encoded = data.get("data")
    if type(encoded) is not str:
        raise ProtocolError("a tensor without data")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise ProtocolError("a tensor whose data is not base64") from None
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(raw) != numel * itemsize:
        raise ProtocolError("a tensor whose data does not match its shape")
    if numel == 0:
        tensor = torch.empty(shape, dtype=dtype)
    else:
        tensor = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape).clone()
    if dtype is torch.bool:
        tensor = tensor.view(torch.uint8) != 0  # a byte other than 0 or 1 is not a bool PyTorch expects
    if requires_grad and tensor.is_floating_point():
        tensor.requires_grad_(True)
    return tensor


# ---------------------------------------------------------------------------
# Requests (the grader's; the sandbox reads them as plain dicts, see autograder.sandbox.runner)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecRequest:
    """Run one piece of code in the sandbox: a submitted cell, or one section of a graded cell."""

    index: int
    """This request's number in the notebook's run: its reply must carry the same."""

    name: str
    """The cell the code belongs to (grade id, cell id or ``cell-N``): names it in tracebacks."""

    source: str
    """The code to run (empty for the request that opens a graded cell)."""

    exports: tuple[str, ...] = ()
    """The names whose values the reply sends back, encoded (those a later check reads)."""

    seed: int | None = None
    """Every random generator is seeded with this before the code runs (None: not seeded again)."""

    cell_seed: int | None = None
    """The graded cell's own seed, which every section of the cell shares (:mod:`lmtrain.seeds`);
    recorded with ``seed`` (None: the request carries none)."""

    graded_begin: bool = False
    """Opens a graded cell before the code runs: the sandbox checks for tampering and puts the
    grader's definitions back (the first of the cell's sections the sandbox runs carries it)."""

    graded_end: bool = False
    """Closes the graded cell after the code ran, as :class:`GradedEndRequest` would (the last of the
    cell's sections the sandbox runs carries it): the reply's ``tampered`` adds what the cell changed."""

    def to_json(self) -> dict:
        """The message as the sandbox reads it (keys in the order the grader has always sent them)."""
        message: dict = {"source": self.source}
        if self.graded_begin:
            message["graded_begin"] = True
        if self.graded_end:
            message["graded_end"] = True
        if self.seed is not None:
            message["seed"] = self.seed
        if self.cell_seed is not None:
            message["cell_seed"] = self.cell_seed
        message.update(op="exec", index=self.index, name=self.name, exports=list(self.exports))
        return message


@dataclass(frozen=True)
class GradedEndRequest:
    """Close a graded cell whose last section did not reach the sandbox (an earlier one failed): the
    sandbox reports what the cell's code tampered with."""

    index: int
    """This request's number in the notebook's run: its reply must carry the same."""

    def to_json(self) -> dict:
        """The message as the sandbox reads it."""
        return {"op": "graded_end", "index": self.index}


# ---------------------------------------------------------------------------
# Replies
# ---------------------------------------------------------------------------


@dataclass
class Reply:
    """What the sandbox says about one executed section, after validation."""

    index: int
    error_type: str = ""
    error: str = ""
    where: list = field(default_factory=list)  # [(cell name, line)] of frames in the notebook's own cells
    stdout: str = ""
    stderr: str = ""
    values: dict = field(default_factory=dict)  # decoded exports of a drive section
    memory: bool = False
    output_exceeded: bool = False
    tampered: list = field(default_factory=list)  # names of watched objects the submission changed


#: Exception names the sandbox may report: Python's own, and the few the runner and checks raise.
_KNOWN_ERRORS = frozenset(
    name for name, value in vars(__import__("builtins")).items()
    if isinstance(value, type) and issubclass(value, BaseException)
) | {"ForbiddenBuiltinError", "OutputLimitExceeded", "ReplyError", "OutOfMemoryError", "LinAlgError"}

_TAMPER_NAME = re.compile(r"^[A-Za-z0-9_.\[\]' ()-]{1,120}$")


def tampered_names(value) -> list[str]:
    """The watched objects the sandbox says were changed, as names that are safe to show."""
    if type(value) is not list or not value:
        return []
    names = sorted({t for t in value[:50] if type(t) is str and _TAMPER_NAME.match(t)})
    return names or ["(unnamed objects)"]


def parse_reply(message: dict, index: int, exports: list[str], cell_lines: dict[str, int],
                decode: bool = True) -> Reply:
    """Validate a reply to request ``index``; decode only the ``exports`` that were asked for.

    ``decode=False`` keeps those values encoded, for the checker worker to decode within its own
    memory limit (:mod:`autograder.checker`): the grader never rebuilds the submission's tensors.
    """
    if message.get("index") != index or type(message.get("index")) is not int:
        raise ProtocolError("a reply to another request")
    reply = Reply(index=index)
    error_type = message.get("error_type", "")
    if error_type:
        # The type's name reaches the student's feedback for hidden sections ("your code raised X"):
        # a class named by the submission could carry text read from a hidden section, so only the
        # names of standard exceptions pass.
        reply.error_type = error_type if type(error_type) is str and error_type in _KNOWN_ERRORS else "Exception"
        reply.error = safe_text(message.get("error", ""), 4000)
        reply.error = reply.error or reply.error_type
    for item in message.get("where", [])[:20] if type(message.get("where")) is list else []:
        # only a real cell and a line it has: a made-up number could carry hidden text out bit by bit
        if (type(item) is list and len(item) == 2 and type(item[0]) is str and item[0] in cell_lines
                and type(item[1]) is int and 0 < item[1] <= cell_lines[item[0]]):
            reply.where.append((item[0], item[1]))
    reply.stdout = safe_text(message.get("stdout", ""))
    reply.stderr = safe_text(message.get("stderr", ""))
    reply.memory = message.get("memory") is True
    reply.output_exceeded = message.get("output_exceeded") is True
    reply.tampered = tampered_names(message.get("tampered", []))
    values = message.get("values", {})
    if type(values) is not dict:
        raise ProtocolError("values that are not an object")
    budget = Budget()
    for name in exports:
        if name in values:
            reply.values[name] = decode_value(values[name], 0, budget) if decode else values[name]
    unencodable = message.get("unencodable", {})
    if type(unencodable) is dict:
        for name in exports:
            if name in unencodable and not reply.error_type:
                reply.error_type = "TypeError"
                reply.error = (f"TypeError: `{name}` is {safe_text(unencodable[name], 200)}: the grader checks "
                               "tensors, numbers, strings, None and lists, tuples or dicts of them")
    return reply
