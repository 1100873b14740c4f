//! error.rs - the one error type of the crate. liblarder reports failures
//! as a negative status plus a message kept on the handle; an Error copies
//! both out at once, so it stays valid after the handle's next call.
use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int};

use crate::ffi;

/// A failed call: the C status code (`LR_E*`), its name and the message of
/// the handle it failed on, with its context (file, object, entity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    code: i32,
    message: String,
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error from status `code` and the handle's message `msg` (may be
    /// NULL or empty: the code's own description is used then).
    pub(crate) fn from_c(code: c_int, msg: *const c_char) -> Error {
        let text = unsafe { c_text(msg) };
        let message = if text.is_empty() {
            unsafe { c_text(ffi::lr_strerror(code)) }
        } else {
            text
        };
        Error {
            code,
            message: message.to_owned(),
        }
    }

    /// An invalid argument found by the binding before calling C, reported
    /// as LR_EINVAL like the C API's own argument checks.
    pub(crate) fn invalid(message: String) -> Error {
        Error {
            code: ffi::LR_EINVAL,
            message,
        }
    }

    /// The negative status code, one of the `LR_E*` values of larder.h.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The code's symbolic name, e.g. "LR_ENOTFOUND".
    pub fn name(&self) -> &'static str {
        unsafe { c_text(ffi::lr_err_name(self.code)) }
    }

    /// The message: what failed and where.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// Ok for status 0, else the error with the message `errmsg` reads off the
/// handle (called only on failure).
pub(crate) fn check(rc: c_int, errmsg: impl FnOnce() -> *const c_char) -> Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::from_c(rc, errmsg()))
    }
}

/// A C string of Larder's (static or owned by a live handle) as &str; not
/// UTF-8 bytes are cut off, NULL is "".
///
/// # Safety
/// `p` is NULL or a NUL-terminated string living at least as long as 'a.
pub(crate) unsafe fn c_text<'a>(p: *const c_char) -> &'a str {
    if p.is_null() {
        return "";
    }
    let bytes = CStr::from_ptr(p).to_bytes();
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    }
}

/// `text` as a C string; an interior NUL is an invalid argument naming
/// `what`.
pub(crate) fn c_string(text: &[u8], what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid(format!("{what} contains a NUL byte")))
}

/// `n` as a C int; larger counts are an invalid argument naming `what`.
pub(crate) fn c_count(n: usize, what: &str) -> Result<c_int> {
    c_int::try_from(n).map_err(|_| Error::invalid(format!("too many {what}: {n}")))
}
