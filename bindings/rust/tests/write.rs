//! Writes through the safe API: newer rows win, older ones are counted.
mod common;

use common::{fresh_ts, Repo};
use larder::{Column, Store, Value};

fn write_conv(store: &Store, ts: i64, conv: Option<f32>) -> larder::WriteStats {
    store
        .write(
            "driver_hourly_stats",
            &[
                Column::new("driver_id", &[Value::i64(7)]),
                Column::new("event_timestamp", &[Value::timestamp_us(ts)]),
                Column::new("conv_rate", &[conv.into()]),
                Column::new("acc_rate", &[Value::f32(0.0)]),
                Column::new("avg_daily_trips", &[Value::i32(3)]),
            ],
        )
        .unwrap()
}

#[test]
fn newer_rows_win_and_older_are_skipped() {
    let repo = Repo::new();
    let store = Store::open_writable(&repo.dir).unwrap();
    let ts = fresh_ts();
    assert_eq!(write_conv(&store, ts, Some(0.5)).rows_written, 1);
    let older = write_conv(&store, ts - 1, Some(0.9));
    assert_eq!((older.rows_written, older.rows_skipped), (0, 1));
    assert_eq!(write_conv(&store, ts + 1, None).rows_written, 1);
    let req = store
        .prepare(&[
            "driver_hourly_stats:conv_rate",
            "driver_hourly_stats:avg_daily_trips",
        ])
        .unwrap();
    let rows = req.get(&[Value::i64(7)]).unwrap();
    assert_eq!(rows.cell(0, 0).status(), larder::Status::NullValue);
    assert_eq!(rows.cell(0, 0).event_ts_us(), Some(ts + 1));
    assert_eq!(rows.cell(0, 1).i64(), Some(3), "int32 widened to int64");
}
