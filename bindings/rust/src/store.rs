//! store.rs - an open feature store: the repo's applied registry and its
//! online store. It prepares requests and writes rows; the lookups
//! themselves go through a prepared Request (request.rs).
use std::fmt;
use std::os::raw::{c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::Mutex;

use crate::error::{c_count, c_string, check, Error, Result};
use crate::ffi::{self, lr_store};
use crate::request::Request;
use crate::value::Value;

/// An open store. Many threads may share it (`&Store`): lookups never touch
/// it, and the calls that report on it (prepare, write) take turns.
pub struct Store {
    raw: NonNull<lr_store>,
    // The store keeps the message of its last failed call: preparing and
    // writing hold this lock until they have read it.
    calls: Mutex<()>,
}

// liblarder's store is safe to read from many threads; the calls that
// record a message on it are serialized by `calls`.
unsafe impl Send for Store {}
unsafe impl Sync for Store {}

/// One column of a write: its name (a join key, `event_timestamp`,
/// `created_timestamp` or a feature) and one value per row.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    /// The column's name.
    pub name: &'a str,
    /// One value per row; Value::NULL for a null feature.
    pub values: &'a [Value<'a>],
}

impl<'a> Column<'a> {
    /// The column `name` holding `values`.
    pub fn new(name: &'a str, values: &'a [Value<'a>]) -> Column<'a> {
        Column { name, values }
    }
}

/// What a write stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteStats {
    /// Rows stored.
    pub rows_written: usize,
    /// Rows older than the row already stored for their entity: kept out.
    pub rows_skipped: usize,
}

/// A version of the online store's contents (G, S): the generation (each
/// compaction or upgrade makes a new, greater one) and the sequence number
/// of the last committed change (one more per write, compaction or
/// upgrade; on a replica, the last entry of the primary's log applied).
/// Every committed change makes it greater: versions order by generation,
/// then seq. Displayed as `larder version` prints it, "G.S".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataVersion {
    /// The generation: grows with each compaction or upgrade.
    pub generation: u64,
    /// The sequence number of the last change: grows with each one.
    pub seq: u64,
}

impl DataVersion {
    pub(crate) fn from_c(v: ffi::lr_data_version) -> DataVersion {
        DataVersion {
            generation: v.generation,
            seq: v.seq,
        }
    }
}

impl fmt::Display for DataVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.generation, self.seq)
    }
}

impl Store {
    /// Opens the repo at `repo` read-only: what a serving process does.
    pub fn open(repo: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(repo.as_ref(), ffi::LR_STORE_READONLY)
    }

    /// Opens the repo at `repo` to write rows as well. Open one store per
    /// repo and process (LMDB's rule): share it rather than open it twice.
    pub fn open_writable(repo: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(repo.as_ref(), ffi::LR_STORE_READWRITE)
    }

    fn open_with(repo: &Path, flags: u32) -> Result<Store> {
        let path = c_string(repo.as_os_str().as_bytes(), "the repo path")?;
        let mut raw = ptr::null_mut();
        let rc = unsafe { ffi::lr_store_open(path.as_ptr(), flags, &mut raw) };
        // The handle comes back on failure too, holding the reason.
        let raw = NonNull::new(raw).ok_or_else(|| Error::from_c(rc, ptr::null()))?;
        let store = Store {
            raw,
            calls: Mutex::new(()),
        };
        check(rc, || unsafe { ffi::lr_store_errmsg(raw.as_ptr()) })?;
        Ok(store)
    }

    /// Runs `call` on the handle, taking turns with other threads, and
    /// turns its status into a Result carrying the store's message.
    fn call(&self, call: impl FnOnce(*mut lr_store) -> c_int) -> Result<()> {
        let _turn = self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let rc = call(self.raw.as_ptr());
        check(rc, || unsafe { ffi::lr_store_errmsg(self.raw.as_ptr()) })
    }

    /// Prepares a lookup of features given as `view:feature` references;
    /// rows hold them in this order.
    pub fn prepare(&self, refs: &[&str]) -> Result<Request<'_>> {
        let owned = refs
            .iter()
            .map(|r| c_string(r.as_bytes(), "a feature reference"))
            .collect::<Result<Vec<_>>>()?;
        let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        let n = c_count(ptrs.len(), "feature references")?;
        let mut raw = ptr::null_mut();
        self.call(|s| unsafe { ffi::lr_request_prepare(s, ptrs.as_ptr(), n, &mut raw) })?;
        Ok(unsafe { Request::from_c(raw) })
    }

    /// Prepares a lookup of the features of feature service `name`, in the
    /// service's order.
    pub fn prepare_service(&self, name: &str) -> Result<Request<'_>> {
        let service = c_string(name.as_bytes(), "the service name")?;
        let mut raw = ptr::null_mut();
        self.call(|s| unsafe { ffi::lr_request_prepare_service(s, service.as_ptr(), &mut raw) })?;
        Ok(unsafe { Request::from_c(raw) })
    }

    /// The version of the store's live generation now: a store another
    /// process compacted reports the new generation. Costs a stat and no
    /// read transaction.
    pub fn version(&self) -> Result<DataVersion> {
        let mut v = ffi::lr_data_version::default();
        self.call(|s| unsafe { ffi::lr_store_version(s, &mut v) })?;
        Ok(DataVersion::from_c(v))
    }

    /// Writes rows into the online store of `view` in one transaction
    /// (readers see all or none): every join key, `event_timestamp`, and
    /// the features, all columns of equal length. Newer rows win.
    pub fn write(&self, view: &str, columns: &[Column<'_>]) -> Result<WriteStats> {
        let n_rows = equal_length(columns)?;
        let view = c_string(view.as_bytes(), "the view name")?;
        let names = columns
            .iter()
            .map(|c| c_string(c.name.as_bytes(), "a column name"))
            .collect::<Result<Vec<_>>>()?;
        let cols: Vec<ffi::lr_column> = names
            .iter()
            .zip(columns)
            .map(|(name, c)| ffi::lr_column {
                name: name.as_ptr(),
                values: c.values.as_ptr().cast(),
            })
            .collect();
        let n_cols = c_count(cols.len(), "columns")?;
        let mut stats = ffi::lr_write_stats::default();
        self.call(|s| unsafe {
            ffi::lr_write_rows(s, view.as_ptr(), cols.as_ptr(), n_cols, n_rows, &mut stats)
        })?;
        Ok(WriteStats {
            rows_written: stats.rows_written,
            rows_skipped: stats.rows_skipped,
        })
    }
}

/// The number of rows of a write: every column must have that many values.
fn equal_length(columns: &[Column<'_>]) -> Result<usize> {
    let n = columns.first().map_or(0, |c| c.values.len());
    match columns.iter().find(|c| c.values.len() != n) {
        Some(c) => Err(Error::invalid(format!(
            "column '{}' has {} values, column '{}' has {}",
            c.name,
            c.values.len(),
            columns[0].name,
            n
        ))),
        None => Ok(n),
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        unsafe { ffi::lr_store_close(self.raw.as_ptr()) }
    }
}
