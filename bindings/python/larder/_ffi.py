"""The C declarations of include/larder.h that the Python API uses, through
ctypes (standard library only), and the loading of liblarder itself.

The library is, in this order: $LARDER_LIB; the repo's build/liblarder.so
next to this package (bindings/python/larder -> build/); whatever
ctypes.util.find_library("larder") finds (an installed Larder).
"""
import ctypes
import ctypes.util
import os
import pathlib
from ctypes import (CFUNCTYPE, POINTER, Structure, Union, byref, c_char_p,
                    c_double, c_float, c_int, c_longlong, c_size_t,
                    c_uint, c_ulonglong, c_void_p)

LR_EINVAL = -1
LR_EIO = -3
LR_ETYPE = -11
LR_EUNSUPPORTED = -13

TYPE_NULL, TYPE_BOOL, TYPE_INT32, TYPE_INT64 = 0, 1, 2, 3
TYPE_FLOAT32, TYPE_FLOAT64, TYPE_STRING, TYPE_BYTES = 4, 5, 6, 7
TYPE_TIMESTAMP, TYPE_ARRAY = 8, 0x80
STATUS_PRESENT, STATUS_NOT_FOUND = 1, 3
STORE_READONLY, STORE_READWRITE = 0, 1
FORMAT_JSON = 1


class Str(Structure):
    """lr_str: bytes at `ptr`, `len` of them, not NUL-terminated."""
    _fields_ = [("ptr", c_void_p), ("len", c_size_t)]


class _Array(Structure):
    _fields_ = [("data", c_void_p), ("n", c_size_t)]


class _Payload(Union):
    _fields_ = [("b", c_int), ("i32", c_int), ("i64", c_longlong),
                ("f32", c_float), ("f64", c_double), ("ts", c_longlong),
                ("str", Str), ("array", _Array)]


class Value(Structure):
    """lr_value: a typed value, with a status and event time in results."""
    _fields_ = [("type", c_int), ("status", c_int), ("event_ts", c_longlong),
                ("v", _Payload)]


class Column(Structure):
    """lr_column: one column of lr_write_rows."""
    _fields_ = [("name", c_char_p), ("values", POINTER(Value))]


class WriteStats(Structure):
    _fields_ = [("rows_written", c_size_t), ("rows_skipped", c_size_t)]


class DataVersion(Structure):
    """lr_data_version: the store's generation and its last change's seq."""
    _fields_ = [("generation", c_ulonglong), ("seq", c_ulonglong)]


PROGRESS = CFUNCTYPE(None, c_void_p, c_char_p, c_ulonglong, c_ulonglong)


class HistoricalSpec(Structure):
    """lr_historical_spec: what lr_get_historical_features builds."""
    _fields_ = [("entities_file", c_char_p), ("entities_sql", c_char_p),
                ("features", POINTER(c_char_p)), ("n_features", c_int),
                ("service", c_char_p), ("full_feature_names", c_int),
                ("output", c_char_p), ("progress", PROGRESS),
                ("progress_ctx", c_void_p), ("timestamp_unit", c_char_p)]


# The element type of each array type's C array.
ARRAY_ELEMENTS = {TYPE_INT32: ctypes.c_int32, TYPE_INT64: ctypes.c_int64,
                  TYPE_FLOAT32: c_float, TYPE_FLOAT64: c_double,
                  TYPE_STRING: Str}

_H = c_void_p  # every handle is opaque
_OUT = POINTER(c_void_p)
_PROTOTYPES = {
    "lr_err_name": (c_char_p, [c_int]),
    "lr_strerror": (c_char_p, [c_int]),
    "lr_status_name": (c_char_p, [c_int]),
    "lr_type_name": (c_char_p, [c_int, c_char_p]),
    "lr_free": (None, [c_void_p]),
    "lr_parse_time": (c_int, [c_char_p, c_longlong, POINTER(c_longlong)]),
    "lr_store_open": (c_int, [c_char_p, c_uint, _OUT]),
    "lr_store_errmsg": (c_char_p, [_H]),
    "lr_store_close": (None, [_H]),
    "lr_store_version": (c_int, [_H, POINTER(DataVersion)]),
    "lr_request_prepare": (c_int, [_H, POINTER(c_char_p), c_int, _OUT]),
    "lr_request_prepare_service": (c_int, [_H, c_char_p, _OUT]),
    "lr_request_free": (None, [_H]),
    "lr_request_shape": (c_int, [_H, POINTER(c_int), POINTER(c_int)]),
    "lr_request_key": (c_int, [_H, c_int, POINTER(c_char_p), POINTER(c_int)]),
    "lr_request_join_keys": (c_int, [_H, POINTER(c_int)]),
    "lr_request_feature": (c_int, [_H, c_int, POINTER(c_char_p),
                                   POINTER(c_char_p), POINTER(c_int)]),
    "lr_result_create": (c_int, [_H, c_int, _OUT]),
    "lr_result_free": (None, [_H]),
    "lr_result_errmsg": (c_char_p, [_H]),
    "lr_get_online_features": (c_int, [_H, POINTER(Value), c_int, _H]),
    "lr_result_cell": (c_int, [_H, c_int, c_int, POINTER(Value)]),
    "lr_result_version": (c_int, [_H, POINTER(DataVersion)]),
    "lr_write_rows": (c_int, [_H, c_char_p, POINTER(Column), c_int, c_size_t,
                              POINTER(WriteStats)]),
    "lr_registry_open": (c_int, [c_char_p, _OUT]),
    "lr_registry_errmsg": (c_char_p, [_H]),
    "lr_registry_close": (None, [_H]),
    "lr_registry_describe": (c_int, [_H, c_char_p, c_uint,
                                     POINTER(c_void_p)]),
    "lr_offline_open": (c_int, [c_char_p, _OUT]),
    "lr_offline_errmsg": (c_char_p, [_H]),
    "lr_offline_close": (None, [_H]),
    "lr_get_historical_features": (c_int, [_H, POINTER(HistoricalSpec),
                                           POINTER(c_ulonglong)]),
}


def _library_path():
    env = os.environ.get("LARDER_LIB")
    if env:
        return env
    built = pathlib.Path(__file__).resolve().parents[3] / "build" / "liblarder.so"
    if built.exists():
        return str(built)
    found = ctypes.util.find_library("larder")
    if found:
        return found
    raise ImportError("liblarder not found: set LARDER_LIB, run `make` in the "
                      "Larder repo, or install Larder")


def _load():
    lib = ctypes.CDLL(_library_path())
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


lib = _load()


def count_join_keys(req):
    """How many of the request's key columns are join keys (the others are
    request-data fields)."""
    n = c_int()
    lib.lr_request_join_keys(req, byref(n))
    return n.value


def text(ptr):
    """A C string of Larder's as str ("" for NULL)."""
    return ptr.decode("utf-8", "replace") if ptr else ""


def type_name(dtype):
    """Larder's name of a value type: "float32", "array<int64>", ..."""
    buf = ctypes.create_string_buffer(32)
    return text(lib.lr_type_name(dtype, buf))


SCALAR_TYPES = (TYPE_BOOL, TYPE_INT32, TYPE_INT64, TYPE_FLOAT32, TYPE_FLOAT64,
                TYPE_STRING, TYPE_BYTES, TYPE_TIMESTAMP)
# Every value type by its name, as definitions and `larder describe` spell it.
TYPES = {type_name(t): t for t in
         SCALAR_TYPES + tuple(TYPE_ARRAY | e for e in ARRAY_ELEMENTS)}
