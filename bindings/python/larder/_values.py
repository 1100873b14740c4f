"""Python values to lr_value and back.

Going in, a value's Python type decides, refined by the type the column
expects (so that 1 fills a float32 feature and 0.5 a float32 one, as they
would in Feast); a scalar that fits no rule is passed as what it is, for
liblarder to report the mismatch with the column's name (LR_ETYPE). numpy
values (what pandas hands out) count as the Python values they hold. A
list's elements are checked here, each against the list's element type.
Coming out, a present value becomes bool, int, float, str, bytes, an aware
UTC datetime, or a list.
"""
import ctypes
import datetime
import numbers
import reprlib
import time

from . import _ffi
from ._errors import LarderError, invalid

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_FLOATS = (_ffi.TYPE_FLOAT32, _ffi.TYPE_FLOAT64)
_INT_BITS = {_ffi.TYPE_INT32: 32, _ffi.TYPE_INT64: 64}


def plain(value):
    """numpy scalars and arrays as the Python values they hold."""
    return value.tolist() if type(value).__module__ == "numpy" else value


def fits(value, dtype):
    """Whether a (plain, non-null) value can fill a column of scalar type
    dtype: an int in range for an integer type, a number for a float one,
    a str (a time as text, too) or a datetime for a timestamp."""
    if isinstance(value, bool):
        return dtype == _ffi.TYPE_BOOL
    if dtype in _INT_BITS:
        half = 2 ** (_INT_BITS[dtype] - 1)
        return isinstance(value, numbers.Integral) and -half <= value < half
    if dtype in _FLOATS:
        return isinstance(value, numbers.Real)
    if dtype == _ffi.TYPE_TIMESTAMP:
        return isinstance(value, (datetime.datetime, str))
    wanted = {_ffi.TYPE_STRING: str, _ffi.TYPE_BYTES: (bytes, bytearray, memoryview)}
    return dtype in wanted and isinstance(value, wanted[dtype])


def shown(value):
    """A value as an error message shows it: its type and a short repr."""
    return f"{type(value).__name__} {reprlib.repr(value)}"


def micros(dt):
    """A datetime as microseconds since the epoch; naive means UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return (dt - EPOCH) // datetime.timedelta(microseconds=1)


def parse_time(text, column):
    """A time as the command line takes it (ISO 8601, `now`, `-1h`)."""
    us = ctypes.c_longlong()
    if _ffi.lib.lr_parse_time(text.encode(), time.time_ns() // 1000, ctypes.byref(us)):
        raise invalid(f"column '{column}': cannot read {text!r} as a time")
    return us.value


def to_c(value, dtype, out, keep, column):
    """Fills lr_value `out` from `value` for a column of type `dtype` (None
    when unknown). Buffers `out` points into are appended to `keep`, which
    the caller holds until the C call returns."""
    value = plain(value)
    if value is None:
        out.type = _ffi.TYPE_NULL
    elif isinstance(value, bool):
        out.type, out.v.b = _ffi.TYPE_BOOL, value
    elif isinstance(value, numbers.Integral) and dtype not in _FLOATS:
        integer_to_c(int(value), dtype, out, column)
    elif isinstance(value, numbers.Real):
        if dtype == _ffi.TYPE_FLOAT32:
            out.type, out.v.f32 = _ffi.TYPE_FLOAT32, float(value)
        else:
            out.type, out.v.f64 = _ffi.TYPE_FLOAT64, float(value)
    elif isinstance(value, datetime.datetime):
        out.type, out.v.ts = _ffi.TYPE_TIMESTAMP, micros(value)
    elif isinstance(value, str) and dtype == _ffi.TYPE_TIMESTAMP:
        out.type, out.v.ts = _ffi.TYPE_TIMESTAMP, parse_time(value, column)
    elif isinstance(value, (str, bytes, bytearray, memoryview)):
        out.type = _ffi.TYPE_STRING if isinstance(value, str) else _ffi.TYPE_BYTES
        str_to_c(value, out.v.str, keep)
    elif isinstance(value, (list, tuple)):
        array_to_c(value, dtype, out, keep, column)
    else:
        expected = _ffi.type_name(dtype) if dtype else "a bool, number, str, " \
            "bytes, datetime or list"
        raise LarderError(_ffi.LR_ETYPE, f"column '{column}' must be {expected}, "
                          f"not {shown(value)}")


def integer_to_c(value, dtype, out, column):
    """An int as int32 where the column is int32 and it fits, else as int64
    (a wider value in an int32 column is then liblarder's LR_ETYPE)."""
    if not -2**63 <= value < 2**63:
        raise invalid(f"column '{column}': {value} does not fit in 64 bits")
    if dtype == _ffi.TYPE_INT32 and -2**31 <= value < 2**31:
        out.type, out.v.i32 = _ffi.TYPE_INT32, value
    else:
        out.type, out.v.i64 = _ffi.TYPE_INT64, value


def str_to_c(value, s, keep):
    """Points lr_str `s` at a str (as UTF-8) or bytes-like value."""
    data = value.encode() if isinstance(value, str) else bytes(value)
    keep.append(data)
    s.ptr = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p)
    s.len = len(data)


def _element_type(items, dtype):
    if dtype is not None and dtype & _ffi.TYPE_ARRAY:
        return dtype & ~_ffi.TYPE_ARRAY
    first = next((x for x in items if x is not None), 0)
    if isinstance(first, str):
        return _ffi.TYPE_STRING
    return _ffi.TYPE_INT64 if isinstance(first, numbers.Integral) else _ffi.TYPE_FLOAT64


def array_to_c(items, dtype, out, keep, column):
    """A list as a C array of the column's element type, every element
    checked against it."""
    items = [plain(x) for x in items]
    elem = _element_type(items, dtype)
    ctype = _ffi.ARRAY_ELEMENTS.get(elem)
    if ctype is None or any(x is None for x in items):
        raise LarderError(_ffi.LR_ETYPE, f"column '{column}': arrays hold "
                          "int32, int64, float32, float64 or string, never null")
    bad = next((i for i, x in enumerate(items) if not fits(x, elem)), None)
    if bad is not None:
        raise LarderError(_ffi.LR_ETYPE, f"column '{column}': element {bad} of the "
                          f"list must be {_ffi.type_name(elem)}, not {shown(items[bad])}")
    array = (ctype * len(items))()
    for i, x in enumerate(items):
        if elem == _ffi.TYPE_STRING:
            str_to_c(x, array[i], keep)
        else:
            array[i] = x
    keep.append(array)
    out.type = _ffi.TYPE_ARRAY | elem
    out.v.array.data = ctypes.cast(array, ctypes.c_void_p)
    out.v.array.n = len(items)


def timestamp(us):
    """Microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + datetime.timedelta(microseconds=us)


def _string(s, is_text):
    data = ctypes.string_at(s.ptr, s.len) if s.len else b""
    return data.decode("utf-8", "replace") if is_text else data


_SCALARS = {
    _ffi.TYPE_BOOL: lambda v: bool(v.v.b),
    _ffi.TYPE_INT32: lambda v: v.v.i32,
    _ffi.TYPE_INT64: lambda v: v.v.i64,
    _ffi.TYPE_FLOAT32: lambda v: v.v.f32,
    _ffi.TYPE_FLOAT64: lambda v: v.v.f64,
    _ffi.TYPE_TIMESTAMP: lambda v: timestamp(v.v.ts),
    _ffi.TYPE_STRING: lambda v: _string(v.v.str, True),
    _ffi.TYPE_BYTES: lambda v: _string(v.v.str, False),
}


def from_c(v):
    """The Python value of a present lr_value."""
    if not v.type & _ffi.TYPE_ARRAY:
        return _SCALARS[v.type](v)
    elem = v.type & ~_ffi.TYPE_ARRAY
    ctype = _ffi.ARRAY_ELEMENTS[elem]
    items = ctypes.cast(v.v.array.data, ctypes.POINTER(ctype))[:v.v.array.n]
    return [_string(s, True) for s in items] if elem == _ffi.TYPE_STRING else items
