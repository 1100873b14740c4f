//! request.rs - prepared lookups and their results. A Request is resolved
//! once and used by many threads at once; each thread looks up into Rows of
//! its own, which it may keep and reuse so that lookups do not allocate.
//! The borrows mirror the C ownership rules: a Request cannot outlive its
//! Store, Rows cannot outlive their Request, and a Cell's strings cannot
//! outlive the next lookup into their Rows.
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int};
use std::ptr::{self, NonNull};

use crate::error::{c_count, c_text, check, Error, Result};
use crate::ffi::{self, lr_request, lr_result};
use crate::store::{DataVersion, Store};
use crate::value::{Cell, Type, Value};

/// A key column of a request: a join key, or a request-data field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The column name, as entity rows name it.
    pub name: String,
    /// The type a value of the column must have.
    pub dtype: Type,
}

/// A feature of a request, in the order the rows hold them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feature {
    /// The feature view (or on-demand view) it comes from.
    pub view: String,
    /// The feature's name within its view.
    pub name: String,
    /// The type of its values.
    pub dtype: Type,
}

/// A prepared lookup: features resolved once, looked up many times.
pub struct Request<'s> {
    raw: NonNull<lr_request>,
    keys: Vec<Key>,
    n_join_keys: usize,
    features: Vec<Feature>,
    _store: PhantomData<&'s Store>,
}

// A prepared request is read-only: liblarder allows lookups from many
// threads at once.
unsafe impl Send for Request<'_> {}
unsafe impl Sync for Request<'_> {}

impl<'s> Request<'s> {
    /// Takes ownership of a request just prepared and reads its shape.
    ///
    /// # Safety
    /// `raw` is a valid request of a store that outlives 's.
    pub(crate) unsafe fn from_c(raw: *mut lr_request) -> Request<'s> {
        let raw = NonNull::new(raw).expect("lr_request_prepare succeeded without a request");
        let (mut n_keys, mut n_features) = (0, 0);
        ffi::lr_request_shape(raw.as_ptr(), &mut n_keys, &mut n_features);
        let keys = (0..n_keys).map(|i| key(raw, i)).collect();
        let features = (0..n_features).map(|i| feature(raw, i)).collect();
        Request {
            raw,
            keys,
            n_join_keys: join_keys(raw),
            features,
            _store: PhantomData,
        }
    }

    /// The key columns a lookup takes, per entity in this order: the join
    /// keys, then the request-data fields.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The join keys: the first key columns.
    pub fn join_keys(&self) -> &[Key] {
        &self.keys[..self.n_join_keys]
    }

    /// The request-data fields the request's on-demand views read: the key
    /// columns after the join keys, given per entity (Value::NULL allowed).
    pub fn request_data(&self) -> &[Key] {
        &self.keys[self.n_join_keys..]
    }

    /// The features every row holds, in order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Empty rows able to hold `capacity` entities (they grow when a lookup
    /// needs more): keep one per thread and reuse it to look up without
    /// allocating.
    pub fn rows(&self, capacity: usize) -> Result<Rows<'_>> {
        let raw = create_result(self, capacity)?;
        Ok(Rows {
            req: self,
            raw,
            capacity: capacity.max(1),
            len: 0,
        })
    }

    /// Looks up entities given as keys (see `Rows::lookup`) into new rows.
    pub fn get(&self, keys: &[Value<'_>]) -> Result<Rows<'_>> {
        let mut rows = self.rows(keys.len() / self.keys.len().max(1))?;
        rows.lookup(keys)?;
        Ok(rows)
    }
}

impl Drop for Request<'_> {
    fn drop(&mut self) {
        unsafe { ffi::lr_request_free(self.raw.as_ptr()) }
    }
}

unsafe fn key(raw: NonNull<lr_request>, i: c_int) -> Key {
    let (mut name, mut dtype): (*const c_char, c_int) = (ptr::null(), 0);
    ffi::lr_request_key(raw.as_ptr(), i, &mut name, &mut dtype);
    Key {
        name: c_text(name).to_owned(),
        dtype: Type::from_c(dtype),
    }
}

unsafe fn feature(raw: NonNull<lr_request>, i: c_int) -> Feature {
    let (mut view, mut name, mut dtype): (*const c_char, *const c_char, c_int) =
        (ptr::null(), ptr::null(), 0);
    ffi::lr_request_feature(raw.as_ptr(), i, &mut view, &mut name, &mut dtype);
    Feature {
        view: c_text(view).to_owned(),
        name: c_text(name).to_owned(),
        dtype: Type::from_c(dtype),
    }
}

/// How many key columns are join keys (the rest are request-data fields).
unsafe fn join_keys(raw: NonNull<lr_request>) -> usize {
    let mut n = 0;
    ffi::lr_request_join_keys(raw.as_ptr(), &mut n);
    n as usize
}

fn create_result(req: &Request<'_>, capacity: usize) -> Result<NonNull<lr_result>> {
    let max = c_count(capacity.max(1), "entities")?;
    let mut raw = ptr::null_mut();
    let rc = unsafe { ffi::lr_result_create(req.raw.as_ptr(), max, &mut raw) };
    check(rc, ptr::null)?;
    NonNull::new(raw).ok_or_else(|| Error::from_c(ffi::LR_EINVAL, ptr::null()))
}

/// The rows of a lookup: for each entity, a Cell per feature of the
/// request. Reusable: each `lookup` replaces the rows. Owned by one thread
/// at a time (Send, not Sync).
pub struct Rows<'r> {
    req: &'r Request<'r>,
    raw: NonNull<lr_result>,
    capacity: usize,
    len: usize,
}

// A result may move between threads (the store reads with MDB_NOTLS);
// shared use needs &mut, so it is never used by two at once.
unsafe impl Send for Rows<'_> {}

impl<'r> Rows<'r> {
    /// Looks up the entities whose keys are given row-major: for each
    /// entity, one value per key column of the request (`Request::keys`:
    /// its join keys, then its request-data fields). Replaces the rows.
    pub fn lookup(&mut self, keys: &[Value<'_>]) -> Result<()> {
        let n_keys = self.req.keys.len();
        if n_keys == 0 || !keys.len().is_multiple_of(n_keys) {
            return Err(Error::invalid(format!(
                "{} key values do not make whole entities of {} key columns",
                keys.len(),
                n_keys
            )));
        }
        let n = keys.len() / n_keys;
        if n > self.capacity {
            self.grow(n)?;
        }
        self.len = 0;
        let n_entities = c_count(n, "entities")?;
        let rc = unsafe {
            ffi::lr_get_online_features(
                self.req.raw.as_ptr(),
                keys.as_ptr().cast(),
                n_entities,
                self.raw.as_ptr(),
            )
        };
        check(rc, || unsafe { ffi::lr_result_errmsg(self.raw.as_ptr()) })?;
        self.len = n;
        Ok(())
    }

    fn grow(&mut self, capacity: usize) -> Result<()> {
        let raw = create_result(self.req, capacity)?;
        unsafe { ffi::lr_result_free(self.raw.as_ptr()) };
        self.raw = raw;
        self.capacity = capacity;
        Ok(())
    }

    /// The number of entities of the last lookup.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the last lookup had no entities (or failed).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The version the last lookup read: every cell of it comes from this
    /// one snapshot of the store. Zeroes before the first lookup.
    pub fn version(&self) -> DataVersion {
        let mut v = ffi::lr_data_version::default();
        // A valid result, so lr_result_version fills the version.
        let rc = unsafe { ffi::lr_result_version(self.raw.as_ptr(), &mut v) };
        debug_assert_eq!(rc, 0);
        DataVersion::from_c(v)
    }

    /// The request the rows belong to (its features name the columns).
    pub fn request(&self) -> &'r Request<'r> {
        self.req
    }

    /// Feature `feature` (an index into `Request::features`) of entity
    /// `entity`. Panics when either is out of range, as indexing does.
    #[inline]
    pub fn cell(&self, entity: usize, feature: usize) -> Cell<'_> {
        let n_features = self.req.features.len();
        if entity >= self.len || feature >= n_features {
            panic!(
                "cell ({entity}, {feature}) out of range: {} entities, {n_features} features",
                self.len
            );
        }
        // In range, so lr_result_cell fills the value (it only checks that).
        let mut raw = ffi::lr_value::zeroed();
        let rc =
            unsafe { ffi::lr_result_cell(self.raw.as_ptr(), entity as c_int, feature as c_int, &mut raw) };
        debug_assert_eq!(rc, 0);
        unsafe { Cell::from_c(raw) }
    }
}

impl Drop for Rows<'_> {
    fn drop(&mut self) {
        unsafe { ffi::lr_result_free(self.raw.as_ptr()) }
    }
}
