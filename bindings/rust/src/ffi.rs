//! ffi.rs - the declarations of include/larder.h that the safe API uses,
//! with the same layouts. Kept private: only the safe types in lib.rs are
//! public, so no caller can break the header's ownership rules.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_longlong, c_ulonglong, c_void};

pub const LR_EINVAL: c_int = -1;

pub const LR_TYPE_NULL: c_int = 0;
pub const LR_TYPE_BOOL: c_int = 1;
pub const LR_TYPE_INT32: c_int = 2;
pub const LR_TYPE_INT64: c_int = 3;
pub const LR_TYPE_FLOAT32: c_int = 4;
pub const LR_TYPE_FLOAT64: c_int = 5;
pub const LR_TYPE_STRING: c_int = 6;
pub const LR_TYPE_BYTES: c_int = 7;
pub const LR_TYPE_TIMESTAMP: c_int = 8;
pub const LR_TYPE_ARRAY: c_int = 0x80;

pub const LR_STORE_READONLY: u32 = 0;
pub const LR_STORE_READWRITE: u32 = 1;

#[repr(C)]
pub struct lr_store {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct lr_request {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct lr_result {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct lr_str {
    pub ptr: *const c_char,
    pub len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct lr_array {
    pub data: *const c_void,
    pub n: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union lr_value_v {
    pub b: c_int,
    pub i32: c_int,
    pub i64: c_longlong,
    pub f32: f32,
    pub f64: f64,
    pub ts: c_longlong,
    pub str: lr_str,
    pub array: lr_array,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct lr_value {
    pub type_: c_int,
    pub status: c_int,
    pub event_ts: c_longlong,
    pub v: lr_value_v,
}

impl lr_value {
    /// A null value, to be filled in by C.
    #[inline]
    pub const fn zeroed() -> lr_value {
        lr_value {
            type_: LR_TYPE_NULL,
            status: 0,
            event_ts: 0,
            v: lr_value_v { i64: 0 },
        }
    }
}

#[repr(C)]
pub struct lr_column {
    pub name: *const c_char,
    pub values: *const lr_value,
}

#[repr(C)]
#[derive(Default)]
pub struct lr_write_stats {
    pub rows_written: usize,
    pub rows_skipped: usize,
}

#[repr(C)]
#[derive(Default)]
pub struct lr_data_version {
    pub generation: c_ulonglong,
    pub seq: c_ulonglong,
}

extern "C" {
    pub fn lr_err_name(status: c_int) -> *const c_char;
    pub fn lr_strerror(status: c_int) -> *const c_char;
    pub fn lr_status_name(feature_status: c_int) -> *const c_char;
    pub fn lr_type_name(type_: c_int, buf: *mut c_char) -> *const c_char;

    pub fn lr_store_open(repo: *const c_char, flags: u32, out: *mut *mut lr_store) -> c_int;
    pub fn lr_store_errmsg(store: *const lr_store) -> *const c_char;
    pub fn lr_store_close(store: *mut lr_store);
    pub fn lr_store_version(store: *mut lr_store, version: *mut lr_data_version) -> c_int;

    pub fn lr_request_prepare(
        store: *mut lr_store,
        refs: *const *const c_char,
        n: c_int,
        out: *mut *mut lr_request,
    ) -> c_int;
    pub fn lr_request_prepare_service(
        store: *mut lr_store,
        service: *const c_char,
        out: *mut *mut lr_request,
    ) -> c_int;
    pub fn lr_request_free(req: *mut lr_request);
    pub fn lr_request_shape(req: *const lr_request, n_keys: *mut c_int, n_features: *mut c_int) -> c_int;
    pub fn lr_request_key(
        req: *const lr_request,
        i: c_int,
        name: *mut *const c_char,
        type_: *mut c_int,
    ) -> c_int;
    pub fn lr_request_join_keys(req: *const lr_request, n_join_keys: *mut c_int) -> c_int;
    pub fn lr_request_feature(
        req: *const lr_request,
        i: c_int,
        view: *mut *const c_char,
        name: *mut *const c_char,
        type_: *mut c_int,
    ) -> c_int;

    pub fn lr_result_create(req: *const lr_request, max_entities: c_int, out: *mut *mut lr_result) -> c_int;
    pub fn lr_result_free(res: *mut lr_result);
    pub fn lr_result_errmsg(res: *const lr_result) -> *const c_char;
    pub fn lr_get_online_features(
        req: *const lr_request,
        keys: *const lr_value,
        n_entities: c_int,
        res: *mut lr_result,
    ) -> c_int;
    pub fn lr_result_cell(res: *const lr_result, entity: c_int, feature: c_int, out: *mut lr_value) -> c_int;
    pub fn lr_result_version(res: *const lr_result, version: *mut lr_data_version) -> c_int;

    pub fn lr_write_rows(
        store: *mut lr_store,
        view: *const c_char,
        columns: *const lr_column,
        n_columns: c_int,
        n_rows: usize,
        stats: *mut lr_write_stats,
    ) -> c_int;
}
