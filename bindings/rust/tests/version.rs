//! Data versions through the safe API: the store's grows with each write,
//! a lookup's is the store's when it read, and both order and print as
//! `larder version` does.
mod common;

use common::{fresh_ts, write_rows, Repo};
use larder::{Column, DataVersion, Store, Value};

fn write_trips(store: &Store, trips: i64) {
    let stats = store
        .write(
            "driver_hourly_stats",
            &[
                Column::new("driver_id", &[Value::i64(7)]),
                Column::new("event_timestamp", &[Value::timestamp_us(fresh_ts())]),
                Column::new("conv_rate", &[Value::f32(0.5)]),
                Column::new("acc_rate", &[Value::f32(0.5)]),
                Column::new("avg_daily_trips", &[Value::i64(trips)]),
            ],
        )
        .unwrap();
    assert_eq!(stats.rows_written, 1);
}

#[test]
fn the_version_grows_with_each_write() {
    let repo = Repo::new();
    let store = Store::open_writable(&repo.dir).unwrap();
    let before = store.version().unwrap();
    write_trips(&store, 1);
    let after = store.version().unwrap();
    assert!(after > before, "{after} after a write, {before} before");
    assert_eq!(
        after.generation, before.generation,
        "a write keeps the generation"
    );
    assert!(after.seq > before.seq);
    write_trips(&store, 2);
    assert!(store.version().unwrap() > after);
    assert_eq!(
        store.version().unwrap(),
        store.version().unwrap(),
        "reading it changes nothing"
    );
}

#[test]
fn a_lookup_reads_the_stores_version() {
    let repo = Repo::new();
    let store = Store::open_writable(&repo.dir).unwrap();
    write_rows(&store, fresh_ts());
    let req = store.prepare(&["driver_hourly_stats:avg_daily_trips"]).unwrap();
    let mut rows = req.rows(1).unwrap();
    assert_eq!(
        rows.version(),
        DataVersion::default(),
        "zeroes before the first lookup"
    );
    rows.lookup(&[Value::i64(1001)]).unwrap();
    let read = rows.version();
    assert_eq!(read, store.version().unwrap());
    write_trips(&store, 3);
    assert_eq!(rows.version(), read, "the rows keep the version they read");
    rows.lookup(&[Value::i64(7)]).unwrap();
    assert_eq!(rows.cell(0, 0).i64(), Some(3));
    assert!(rows.version() > read);
    assert_eq!(rows.version(), store.version().unwrap());
    assert_eq!(req.get(&[Value::i64(7)]).unwrap().version(), rows.version());
}

#[test]
fn versions_order_by_generation_then_seq_and_print_as_g_dot_s() {
    let v = |generation, seq| DataVersion { generation, seq };
    assert!(v(1, 5) < v(1, 6));
    assert!(
        v(1, 1042) < v(2, 1),
        "a new generation outranks any seq of the old"
    );
    assert_eq!(v(2, 7).max(v(1, 99)), v(2, 7));
    assert_eq!(v(3, 1042).to_string(), "3.1042");
    assert_eq!(DataVersion::default().to_string(), "0.0");
}
