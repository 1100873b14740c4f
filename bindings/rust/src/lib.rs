//! Safe Rust bindings to liblarder, the Larder feature store's C library:
//! in-process online lookups (an LMDB store memory-mapped into the serving
//! process) and writes.
//!
//! ```no_run
//! use larder::{Store, Value};
//! let store = Store::open("demo")?;                       // once
//! let req = store.prepare(&["driver_hourly_stats:conv_rate"])?; // once
//! let mut rows = req.rows(1)?;                            // once per thread
//! rows.lookup(&[Value::i64(1001)])?;                      // per prediction
//! let conv_rate: Option<f32> = rows.cell(0, 0).f32();
//! # Ok::<(), larder::Error>(())
//! ```
//!
//! Every failure is an [`Error`] carrying liblarder's status code, its name
//! and its message. Borrows make use-after-close impossible: a [`Request`]
//! borrows its [`Store`], [`Rows`] borrow their Request. So a request
//! cannot outlive its store:
//!
//! ```compile_fail,E0597
//! let req = {
//!     let store = larder::Store::open("demo")?;
//!     store.prepare(&["driver_hourly_stats:conv_rate"])?
//! };
//! # Ok::<(), larder::Error>(())
//! ```
//!
//! and a string read from rows cannot outlive the next lookup into them:
//!
//! ```compile_fail,E0502
//! # use larder::Value;
//! # let store = larder::Store::open("demo")?;
//! # let req = store.prepare(&["driver_profile:name"])?;
//! let mut rows = req.rows(1)?;
//! rows.lookup(&[Value::i64(1001)])?;
//! let name = rows.cell(0, 0).str();
//! rows.lookup(&[Value::i64(1002)])?;
//! println!("{name:?}");
//! # Ok::<(), larder::Error>(())
//! ```
#![warn(missing_docs)]

mod error;
mod ffi;
mod request;
mod store;
mod value;

pub use error::{Error, Result};
pub use request::{Feature, Key, Request, Rows};
pub use store::{Column, DataVersion, Store, WriteStats};
pub use value::{Cell, Element, Status, Str, Type, Value};
