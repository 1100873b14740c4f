"""The binding's one exception type. liblarder reports a failure as a
negative status plus a message kept on the handle; LarderError copies both
at once, with the status's name, so that callers can tell an unknown
feature (LR_ENOTFOUND) from a key of the wrong type (LR_ETYPE)."""
from . import _ffi


class LarderError(Exception):
    """A failed call: `code` (negative LR_E* status), `name` (e.g.
    "LR_ENOTFOUND") and `message` (what failed, where)."""

    def __init__(self, code, message):
        self.code = code
        self.name = _ffi.text(_ffi.lib.lr_err_name(code))
        self.message = message or _ffi.text(_ffi.lib.lr_strerror(code))
        super().__init__(f"{self.name}: {self.message}")


def check(rc, errmsg):
    """Raises LarderError for a failed status `rc`; errmsg() reads the
    handle's message (called only then)."""
    if rc:
        raise LarderError(rc, _ffi.text(errmsg()))


def invalid(message):
    """An invalid argument found before calling C, reported as LR_EINVAL
    like the C API's own argument checks."""
    return LarderError(_ffi.LR_EINVAL, message)
