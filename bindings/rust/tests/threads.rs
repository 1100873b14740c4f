//! One store and one prepared request shared by threads, each looking up
//! into rows of its own, while another thread writes.
mod common;

use common::{fresh_ts, write_rows, Repo};
use larder::{Column, Store, Value};

#[test]
fn threads_share_a_store_and_a_request() {
    let repo = Repo::new();
    let store = Store::open_writable(&repo.dir).unwrap();
    write_rows(&store, fresh_ts());
    let req = store.prepare_service("driver_activity_v2").unwrap();
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..4)
            .map(|t| {
                let req = &req;
                scope.spawn(move || {
                    let mut rows = req.rows(2).unwrap();
                    for i in 0..2000 {
                        rows.lookup(&[Value::i64(1001 + (i + t) % 2), Value::i64(9999)])
                            .unwrap();
                        let trips = rows.cell(0, 2).i64().unwrap();
                        assert!(trips == 10 || trips == 20);
                        assert!(!rows.cell(1, 0).is_present());
                    }
                })
            })
            .collect();
        scope.spawn(|| {
            for id in 0..200 {
                let (id, ts) = ([Value::i64(5000 + id)], [Value::timestamp_us(fresh_ts())]);
                let features = [Value::NULL];
                let cols = [
                    Column::new("driver_id", &id),
                    Column::new("event_timestamp", &ts),
                    Column::new("conv_rate", &features),
                    Column::new("acc_rate", &features),
                    Column::new("avg_daily_trips", &features),
                ];
                store.write("driver_hourly_stats", &cols).unwrap();
            }
        });
        readers.into_iter().for_each(|r| r.join().unwrap());
    });
    let rows = req.get(&[Value::i64(5199)]).unwrap();
    assert_eq!(
        rows.cell(0, 0).status(),
        larder::Status::NullValue,
        "the writer's last row: null features"
    );
}
