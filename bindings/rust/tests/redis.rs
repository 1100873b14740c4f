//! The safe API on a Redis store: the same lookups, statuses, writes and
//! versions as on LMDB, through the same calls (the binding works
//! unchanged). Each test starts a redis-server of its own, stopped when the
//! test ends; without redis-server installed the tests say so and pass.
mod common;

use common::{store_with_rows, RedisServer, Repo};
use larder::{Column, Status, Store, Value};

const STATS: [&str; 3] = [
    "driver_hourly_stats:conv_rate",
    "driver_hourly_stats:acc_rate",
    "driver_hourly_stats:avg_daily_trips",
];

fn server() -> Option<RedisServer> {
    let s = RedisServer::start();
    if s.is_none() {
        eprintln!("SKIP: redis-server is not installed");
    }
    s
}

#[test]
fn lookups_on_redis_read_present_null_missing_and_stale_values() {
    let Some(redis) = server() else { return };
    let repo = Repo::on_redis(redis.port);
    let (store, ts) = store_with_rows(&repo);
    let req = store.prepare(&STATS).unwrap();
    let keys: Vec<Value> = [1001, 1002, 9999, 1003].into_iter().map(Value::i64).collect();
    let rows = req.get(&keys).unwrap();
    assert_eq!(rows.cell(0, 0).f32(), Some(0.5));
    assert_eq!(rows.cell(0, 2).i64(), Some(10));
    assert_eq!(rows.cell(0, 0).event_ts_us(), Some(ts));
    assert_eq!(rows.cell(1, 1).status(), Status::NullValue);
    assert_eq!(rows.cell(2, 0).status(), Status::NotFound);
    assert_eq!(rows.cell(3, 0).status(), Status::OutsideMaxAge);
}

#[test]
fn writes_on_redis_move_the_version_and_newer_wins() {
    let Some(redis) = server() else { return };
    let repo = Repo::on_redis(redis.port);
    let (store, ts) = store_with_rows(&repo);
    let before = store.version().unwrap();
    let writer = Store::open_writable(&repo.dir).unwrap();
    let write = |at: i64, trips: i64| {
        writer
            .write(
                "driver_hourly_stats",
                &[
                    Column::new("driver_id", &[Value::i64(1001)]),
                    Column::new("event_timestamp", &[Value::timestamp_us(at)]),
                    Column::new("conv_rate", &[Value::f32(0.5)]),
                    Column::new("acc_rate", &[Value::NULL]),
                    Column::new("avg_daily_trips", &[Value::i64(trips)]),
                ],
            )
            .unwrap()
    };
    assert_eq!(write(ts + 1, 11).rows_written, 1);
    assert_eq!(write(ts - 1, 99).rows_skipped, 1, "older than the stored row");
    let after = store.version().unwrap();
    assert!(after > before, "{after:?} after {before:?}");
    let req = store.prepare(&["driver_hourly_stats:avg_daily_trips"]).unwrap();
    assert_eq!(req.get(&[Value::i64(1001)]).unwrap().cell(0, 0).i64(), Some(11));
}
