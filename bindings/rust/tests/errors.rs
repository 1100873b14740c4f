//! Failures carry liblarder's code, its name and its message.
mod common;

use common::{fresh_ts, store_with_rows, Repo};
use larder::{Column, Error, Store, Value};

fn assert_error(err: Error, name: &str, needle: &str) {
    assert_eq!(err.name(), name, "{err}");
    assert!(
        err.message().contains(needle),
        "{:?} lacks {needle:?}",
        err.message()
    );
    assert!(err.to_string().starts_with(name));
}

#[test]
fn opening_a_missing_or_unapplied_repo() {
    let err = Store::open("/nonexistent/repo").err().unwrap();
    assert_eq!(err.code(), -4);
    assert_error(err, "LR_ENOTFOUND", "/nonexistent/repo");
    let repo = Repo::unapplied();
    assert_error(Store::open(&repo.dir).err().unwrap(), "LR_ENOREGISTRY", "apply");
}

#[test]
fn bad_feature_references() {
    let repo = Repo::new();
    let store = Store::open(&repo.dir).unwrap();
    assert_error(
        store.prepare(&["driver_hourly_stats"]).err().unwrap(),
        "LR_EINVAL",
        "view:feature",
    );
    assert_error(
        store.prepare(&["driver_hourly_stats:conv_rat"]).err().unwrap(),
        "LR_ENOTFOUND",
        "conv_rate",
    );
    assert_error(
        store.prepare(&["driver_stats:conv_rate"]).err().unwrap(),
        "LR_ENOTFOUND",
        "driver_stats",
    );
    assert_error(
        store.prepare_service("driver_activity_v3").err().unwrap(),
        "LR_ENOTFOUND",
        "driver_activity_v3",
    );
    assert_error(store.prepare(&["a\0b:c"]).err().unwrap(), "LR_EINVAL", "NUL");
}

#[test]
fn keys_of_the_wrong_type_or_count() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let req = store
        .prepare(&["driver_hourly_stats:conv_rate", "city_stats:population"])
        .unwrap();
    let mut rows = req.rows(4).unwrap();
    let err = rows
        .lookup(&[Value::str("1001"), Value::str("paris")])
        .err()
        .unwrap();
    assert_error(err, "LR_ETYPE", "driver_id");
    assert!(rows.is_empty(), "a failed lookup leaves no rows");
    assert_error(
        rows.lookup(&[Value::i64(1001)]).err().unwrap(),
        "LR_EINVAL",
        "2 key columns",
    );
    assert_error(
        rows.lookup(&[Value::NULL, Value::str("paris")]).err().unwrap(),
        "LR_EINVAL",
        "",
    );
}

#[test]
fn writes_that_fail_write_nothing() {
    let repo = Repo::new();
    let store = Store::open_writable(&repo.dir).unwrap();
    let ids = [Value::i64(1), Value::i64(2)];
    let ts = [Value::timestamp_us(fresh_ts())];
    let (conv, acc, trips) = ([Value::f64(0.5)], [Value::f32(0.5)], [Value::i64(1)]);
    let short = [
        Column::new("driver_id", &ids),
        Column::new("event_timestamp", &ts),
    ];
    assert_error(
        store.write("driver_hourly_stats", &short).err().unwrap(),
        "LR_EINVAL",
        "'event_timestamp' has 1",
    );
    let keys_only = [
        Column::new("driver_id", &ids[..1]),
        Column::new("event_timestamp", &ts),
    ];
    assert_error(
        store.write("driver_hourly_stats", &keys_only).err().unwrap(),
        "LR_EINVAL",
        "missing columns",
    );
    let row = [
        Column::new("driver_id", &ids[..1]),
        Column::new("event_timestamp", &ts),
        Column::new("conv_rate", &conv),
        Column::new("acc_rate", &acc),
        Column::new("avg_daily_trips", &trips),
    ];
    assert_error(
        store.write("driver_hourly_stats", &row).err().unwrap(),
        "LR_ETYPE",
        "conv_rate",
    );
    assert_error(
        store.write("driver_stats", &row).err().unwrap(),
        "LR_ENOTFOUND",
        "driver_stats",
    );
    let req = store.prepare(&["driver_hourly_stats:conv_rate"]).unwrap();
    assert_eq!(
        req.get(&[Value::i64(1)]).unwrap().cell(0, 0).status(),
        larder::Status::NotFound
    );
}

#[test]
fn writing_to_a_read_only_store() {
    let repo = Repo::new();
    let store = Store::open(&repo.dir).unwrap();
    let (id, ts) = ([Value::i64(1)], [Value::timestamp_us(0)]);
    let cols = [Column::new("driver_id", &id), Column::new("event_timestamp", &ts)];
    let err = store.write("driver_hourly_stats", &cols).err().unwrap();
    assert_eq!(err.name(), "LR_EREADONLY");
}
