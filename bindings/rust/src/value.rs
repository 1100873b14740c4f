//! value.rs - typed values crossing the boundary: `Value` for what goes in
//! (entity keys, request data, cells of a write) and `Cell` for what comes
//! out of a lookup. Both wrap the C `lr_value` itself (no copy, no
//! conversion): a slice of Values is passed to C as it is, which is what
//! makes a Rust lookup cost what a C lookup costs. Lifetimes tie borrowed
//! strings and arrays to their owner: Value to the caller's data, Cell to
//! the Rows it was read from (valid until the next lookup).
use std::fmt;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::c_text;
use crate::ffi::{self, lr_str, lr_value, lr_value_v};

/// A value type (`lr_type`): a scalar type, or an array of one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Type(c_int);

impl Type {
    /// The type of a null value.
    pub const NULL: Type = Type(ffi::LR_TYPE_NULL);
    /// The type bool.
    pub const BOOL: Type = Type(ffi::LR_TYPE_BOOL);
    /// The type int32.
    pub const INT32: Type = Type(ffi::LR_TYPE_INT32);
    /// The type int64.
    pub const INT64: Type = Type(ffi::LR_TYPE_INT64);
    /// The type float32.
    pub const FLOAT32: Type = Type(ffi::LR_TYPE_FLOAT32);
    /// The type float64.
    pub const FLOAT64: Type = Type(ffi::LR_TYPE_FLOAT64);
    /// The type string: UTF-8 text.
    pub const STRING: Type = Type(ffi::LR_TYPE_STRING);
    /// The type bytes.
    pub const BYTES: Type = Type(ffi::LR_TYPE_BYTES);
    /// The type timestamp: microseconds since the epoch.
    pub const TIMESTAMP: Type = Type(ffi::LR_TYPE_TIMESTAMP);

    /// The type of arrays of `element`.
    pub const fn array_of(element: Type) -> Type {
        Type(ffi::LR_TYPE_ARRAY | element.0)
    }

    pub(crate) const fn from_c(code: c_int) -> Type {
        Type(code)
    }
}

/// The type's name as the repo format spells it: `float32`, `array<int64>`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0 as c_char; 32];
        f.write_str(unsafe { c_text(ffi::lr_type_name(self.0, buf.as_mut_ptr())) })
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The status of one feature value of one entity (Feast's statuses).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Status {
    /// The value is there.
    Present = 1,
    /// A row is stored, and this feature is null in it.
    NullValue = 2,
    /// No row for the entity, or the feature was added after it was written.
    NotFound = 3,
    /// The row is older than the view's ttl: its values are withheld.
    OutsideMaxAge = 4,
}

impl Status {
    fn from_c(code: c_int) -> Status {
        match code {
            1 => Status::Present,
            2 => Status::NullValue,
            3 => Status::NotFound,
            4 => Status::OutsideMaxAge,
            _ => panic!("liblarder returned unknown feature status {code}"),
        }
    }

    /// "PRESENT", "NULL_VALUE", "NOT_FOUND" or "OUTSIDE_MAX_AGE".
    pub fn name(self) -> &'static str {
        unsafe { c_text(ffi::lr_status_name(self as c_int)) }
    }
}

/// Bytes borrowed for 'a as the C `lr_str` (pointer, length): the element
/// type of string arrays, in and out.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct Str<'a> {
    raw: lr_str,
    _borrow: PhantomData<&'a [u8]>,
}

impl<'a> Str<'a> {
    /// Borrows `text`.
    pub fn new(text: &'a str) -> Str<'a> {
        Str::from_bytes(text.as_bytes())
    }

    fn from_bytes(bytes: &'a [u8]) -> Str<'a> {
        Str {
            raw: lr_str {
                ptr: bytes.as_ptr().cast(),
                len: bytes.len(),
            },
            _borrow: PhantomData,
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        unsafe { raw_slice(self.raw.ptr.cast(), self.raw.len) }
    }

    /// The text, or None when the bytes are not UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(text: &'a str) -> Str<'a> {
        Str::new(text)
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(self.as_bytes()), f)
    }
}

/// A slice of `len` elements at `ptr`; NULL or empty gives an empty slice.
///
/// # Safety
/// `ptr` points at `len` valid elements living at least as long as 'a.
unsafe fn raw_slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

mod sealed {
    /// The lr_type code of an array element type.
    pub trait ElementType: Copy {
        const CODE: std::os::raw::c_int;
    }
}

/// A type arrays hold: i32, i64, f32, f64, or `Str` for strings. The
/// lifetime keeps a string array read from a Cell from outliving its Rows.
pub trait Element<'a>: sealed::ElementType {}

macro_rules! element {
    ($t:ty, $code:expr) => {
        impl sealed::ElementType for $t {
            const CODE: c_int = $code;
        }
        impl<'a> Element<'a> for $t {}
    };
}
element!(i32, ffi::LR_TYPE_INT32);
element!(i64, ffi::LR_TYPE_INT64);
element!(f32, ffi::LR_TYPE_FLOAT32);
element!(f64, ffi::LR_TYPE_FLOAT64);
impl sealed::ElementType for Str<'_> {
    const CODE: c_int = ffi::LR_TYPE_STRING;
}
impl<'a> Element<'a> for Str<'a> {}

/// A value given to Larder: an entity key or request-data field of a
/// lookup, or a cell of a write. Borrows strings and arrays for 'a.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct Value<'a> {
    raw: lr_value,
    _borrow: PhantomData<&'a [u8]>,
}

// A Value only reads what it borrows, as a shared reference would.
unsafe impl Send for Value<'_> {}
unsafe impl Sync for Value<'_> {}

impl<'a> Value<'a> {
    /// Null: a null feature in a write, or a request-data field not given.
    pub const NULL: Value<'static> = Value::make(ffi::LR_TYPE_NULL, lr_value_v { i64: 0 });

    #[inline]
    const fn make(type_: c_int, v: lr_value_v) -> Value<'a> {
        Value {
            raw: lr_value {
                type_,
                status: 0,
                event_ts: 0,
                v,
            },
            _borrow: PhantomData,
        }
    }

    /// A bool.
    #[inline]
    pub fn bool(b: bool) -> Value<'a> {
        Value::make(ffi::LR_TYPE_BOOL, lr_value_v { b: b as c_int })
    }
    /// An int32: an int32 key, or a value widened to int64 where that is asked.
    #[inline]
    pub fn i32(i: i32) -> Value<'a> {
        Value::make(ffi::LR_TYPE_INT32, lr_value_v { i32: i })
    }
    /// An int64.
    #[inline]
    pub fn i64(i: i64) -> Value<'a> {
        Value::make(ffi::LR_TYPE_INT64, lr_value_v { i64: i })
    }
    /// A float32.
    #[inline]
    pub fn f32(x: f32) -> Value<'a> {
        Value::make(ffi::LR_TYPE_FLOAT32, lr_value_v { f32: x })
    }
    /// A float64.
    #[inline]
    pub fn f64(x: f64) -> Value<'a> {
        Value::make(ffi::LR_TYPE_FLOAT64, lr_value_v { f64: x })
    }
    /// A timestamp, in microseconds since 1970-01-01T00:00:00Z.
    #[inline]
    pub fn timestamp_us(us: i64) -> Value<'a> {
        Value::make(ffi::LR_TYPE_TIMESTAMP, lr_value_v { ts: us })
    }
    /// A string, borrowed.
    #[inline]
    pub fn str(text: &'a str) -> Value<'a> {
        Value::make(
            ffi::LR_TYPE_STRING,
            lr_value_v {
                str: Str::new(text).raw,
            },
        )
    }
    /// A byte string, borrowed.
    #[inline]
    pub fn bytes(bytes: &'a [u8]) -> Value<'a> {
        Value::make(
            ffi::LR_TYPE_BYTES,
            lr_value_v {
                str: Str::from_bytes(bytes).raw,
            },
        )
    }
    /// An array: `&[f32]` for an embedding, `&[Str]` for strings.
    #[inline]
    pub fn array<T: Element<'a>>(items: &'a [T]) -> Value<'a> {
        let array = ffi::lr_array {
            data: items.as_ptr().cast(),
            n: items.len(),
        };
        Value::make(ffi::LR_TYPE_ARRAY | T::CODE, lr_value_v { array })
    }

    /// The value's type.
    pub fn dtype(&self) -> Type {
        Type::from_c(self.raw.type_)
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::bool(b)
    }
}
impl From<i32> for Value<'_> {
    fn from(i: i32) -> Self {
        Value::i32(i)
    }
}
impl From<i64> for Value<'_> {
    fn from(i: i64) -> Self {
        Value::i64(i)
    }
}
impl From<f32> for Value<'_> {
    fn from(x: f32) -> Self {
        Value::f32(x)
    }
}
impl From<f64> for Value<'_> {
    fn from(x: f64) -> Self {
        Value::f64(x)
    }
}
impl<'a> From<&'a str> for Value<'a> {
    fn from(text: &'a str) -> Self {
        Value::str(text)
    }
}
impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Value::bytes(bytes)
    }
}
impl<'a, T: Element<'a>> From<&'a [T]> for Value<'a> {
    fn from(items: &'a [T]) -> Self {
        Value::array(items)
    }
}
/// A time as a timestamp value, to the microsecond.
impl From<SystemTime> for Value<'_> {
    fn from(t: SystemTime) -> Self {
        let us = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_micros() as i64,
            Err(e) => -(e.duration().as_micros() as i64),
        };
        Value::timestamp_us(us)
    }
}
/// None as null, for nullable columns of a write.
impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::NULL, Into::into)
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value({})", self.dtype())
    }
}

/// One feature value of one entity from a lookup, with its status and
/// event time. Strings and arrays borrow the Rows it came from.
#[derive(Clone, Copy)]
pub struct Cell<'a> {
    raw: lr_value,
    _borrow: PhantomData<&'a [u8]>,
}

impl<'a> Cell<'a> {
    /// # Safety
    /// `raw` was filled by lr_result_cell from a result living for 'a and
    /// not looked up into again during 'a.
    #[inline]
    pub(crate) unsafe fn from_c(raw: lr_value) -> Cell<'a> {
        Cell {
            raw,
            _borrow: PhantomData,
        }
    }

    /// Whether the value is there, null, missing or too old.
    #[inline]
    pub fn status(&self) -> Status {
        Status::from_c(self.raw.status)
    }

    /// True when the status is Present.
    #[inline]
    pub fn is_present(&self) -> bool {
        self.status() == Status::Present
    }

    /// The feature's type (also when the value is not present).
    pub fn dtype(&self) -> Type {
        Type::from_c(self.raw.type_)
    }

    /// The event time of the row the value comes from, in microseconds
    /// since the epoch; None when no row was found.
    pub fn event_ts_us(&self) -> Option<i64> {
        (self.status() != Status::NotFound).then_some(self.raw.event_ts)
    }

    /// The payload of a present value of type `code`, else None: every
    /// typed getter returns None for a value not present or of another type.
    #[inline]
    fn payload(&self, code: c_int) -> Option<lr_value_v> {
        (self.raw.status == Status::Present as c_int && self.raw.type_ == code).then_some(self.raw.v)
    }

    /// A present bool, else None.
    #[inline]
    pub fn bool(&self) -> Option<bool> {
        self.payload(ffi::LR_TYPE_BOOL).map(|v| unsafe { v.b } != 0)
    }
    /// A present int32, else None.
    #[inline]
    pub fn i32(&self) -> Option<i32> {
        self.payload(ffi::LR_TYPE_INT32).map(|v| unsafe { v.i32 })
    }
    /// A present int64, else None.
    #[inline]
    pub fn i64(&self) -> Option<i64> {
        self.payload(ffi::LR_TYPE_INT64).map(|v| unsafe { v.i64 })
    }
    /// A present float32, else None.
    #[inline]
    pub fn f32(&self) -> Option<f32> {
        self.payload(ffi::LR_TYPE_FLOAT32).map(|v| unsafe { v.f32 })
    }
    /// A present float64, else None.
    #[inline]
    pub fn f64(&self) -> Option<f64> {
        self.payload(ffi::LR_TYPE_FLOAT64).map(|v| unsafe { v.f64 })
    }
    /// A timestamp in microseconds since the epoch.
    #[inline]
    pub fn timestamp_us(&self) -> Option<i64> {
        self.payload(ffi::LR_TYPE_TIMESTAMP).map(|v| unsafe { v.ts })
    }
    /// A string feature (None also when it is not UTF-8: see `bytes`).
    #[inline]
    pub fn str(&self) -> Option<&'a str> {
        self.string(ffi::LR_TYPE_STRING).and_then(|s| s.as_str())
    }
    /// A bytes feature.
    #[inline]
    pub fn bytes(&self) -> Option<&'a [u8]> {
        self.string(ffi::LR_TYPE_BYTES).map(|s| s.as_bytes())
    }
    #[inline]
    fn string(&self, code: c_int) -> Option<Str<'a>> {
        self.payload(code).map(|v| Str {
            raw: unsafe { v.str },
            _borrow: PhantomData,
        })
    }
    /// An array feature: `cell.array::<f32>()` for an embedding,
    /// `cell.array::<Str>()` for strings.
    #[inline]
    pub fn array<T: Element<'a>>(&self) -> Option<&'a [T]> {
        let v = self.payload(ffi::LR_TYPE_ARRAY | T::CODE)?;
        Some(unsafe { raw_slice(v.array.data.cast(), v.array.n) })
    }
}

impl fmt::Debug for Cell<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cell({}, {})", self.dtype(), self.status().name())
    }
}
