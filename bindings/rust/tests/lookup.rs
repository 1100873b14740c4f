//! Lookups through the safe API: present, null, missing and stale values,
//! every value type, string keys, services and reused rows.
mod common;

use common::{store_with_rows, Repo};
use larder::{Status, Str, Type, Value};

const STATS: [&str; 3] = [
    "driver_hourly_stats:conv_rate",
    "driver_hourly_stats:acc_rate",
    "driver_hourly_stats:avg_daily_trips",
];

#[test]
fn present_values_with_their_event_time() {
    let repo = Repo::new();
    let (store, ts) = store_with_rows(&repo);
    let req = store.prepare(&STATS).unwrap();
    let rows = req.get(&[Value::i64(1001)]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.cell(0, 0).f32(), Some(0.5));
    assert_eq!(rows.cell(0, 1).f32(), Some(0.25));
    assert_eq!(rows.cell(0, 2).i64(), Some(10));
    assert_eq!(rows.cell(0, 0).status(), Status::Present);
    assert_eq!(rows.cell(0, 0).event_ts_us(), Some(ts));
    assert_eq!(rows.cell(0, 0).i64(), None, "a float32 cell read as int64");
}

#[test]
fn null_missing_and_stale_values() {
    let repo = Repo::new();
    let (store, ts) = store_with_rows(&repo);
    let req = store.prepare(&STATS).unwrap();
    let keys: Vec<Value> = [1002, 9999, 1003].into_iter().map(Value::i64).collect();
    let rows = req.get(&keys).unwrap();
    assert_eq!(rows.cell(0, 0).f32(), Some(0.125));
    assert_eq!(rows.cell(0, 1).status(), Status::NullValue);
    assert_eq!(rows.cell(0, 1).f32(), None);
    assert_eq!(rows.cell(0, 1).event_ts_us(), Some(ts));
    assert_eq!(rows.cell(1, 0).status(), Status::NotFound);
    assert_eq!(rows.cell(1, 0).event_ts_us(), None);
    assert_eq!(rows.cell(2, 0).status(), Status::OutsideMaxAge);
    assert_eq!(rows.cell(2, 0).f32(), None);
    assert_eq!(rows.cell(2, 2).status().name(), "OUTSIDE_MAX_AGE");
}

#[test]
fn every_value_type() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let names = [
        "name",
        "rating",
        "active",
        "vehicles",
        "photo",
        "signed_up",
        "embedding",
        "trip_ids",
        "languages",
    ];
    let refs: Vec<String> = names.iter().map(|n| format!("driver_profile:{n}")).collect();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let req = store.prepare(&refs).unwrap();
    assert_eq!(req.features()[6].dtype, Type::array_of(Type::FLOAT32));
    assert_eq!(req.features()[6].dtype.to_string(), "array<float32>");
    let rows = req.get(&[Value::i64(1001)]).unwrap();
    let cell = |f| rows.cell(0, f);
    assert_eq!(cell(0).str(), Some("Ada"));
    assert_eq!(cell(1).f64(), Some(4.5));
    assert_eq!(cell(2).bool(), Some(true));
    assert_eq!(cell(3).i32(), Some(2));
    assert_eq!(cell(4).bytes(), Some(&b"\x89PNG\0"[..]));
    assert_eq!(cell(5).timestamp_us(), Some(1_685_577_600_000_000));
    assert_eq!(cell(6).array::<f32>(), Some(&[0.5f32, 1.5][..]));
    assert_eq!(cell(7).array::<i64>(), Some(&[7i64, 8][..]));
    let languages: Vec<&str> = cell(8)
        .array::<Str>()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(languages, ["en", "fr"]);
    assert_eq!(
        cell(6).array::<f64>(),
        None,
        "an array<float32> read as array<float64>"
    );
}

#[test]
fn string_keys_and_composite_requests() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let req = store
        .prepare(&["driver_hourly_stats:conv_rate", "city_stats:population"])
        .unwrap();
    let key_names: Vec<&str> = req.keys().iter().map(|k| k.name.as_str()).collect();
    assert_eq!(key_names, ["driver_id", "city_id"]);
    assert_eq!(req.keys()[1].dtype, Type::STRING);
    let rows = req
        .get(&[
            Value::i64(1001),
            Value::str("paris"),
            Value::i64(1001),
            Value::str("rome"),
        ])
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.cell(0, 1).i64(), Some(2_100_000));
    assert_eq!(rows.cell(1, 0).f32(), Some(0.5));
    assert_eq!(rows.cell(1, 1).status(), Status::NotFound);
}

#[test]
fn services_serve_their_features_in_order() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let req = store.prepare_service("driver_activity_v2").unwrap();
    let names: Vec<&str> = req.features().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["conv_rate", "acc_rate", "avg_daily_trips"]);
    assert!(req.features().iter().all(|f| f.view == "driver_hourly_stats"));
    let rows = req.get(&[Value::i64(1001)]).unwrap();
    assert_eq!(rows.cell(0, 2).i64(), Some(10));
}

#[test]
fn rows_are_reused_and_grow() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let req = store.prepare(&STATS).unwrap();
    let mut rows = req.rows(1).unwrap();
    rows.lookup(&[Value::i64(1002)]).unwrap();
    assert_eq!(rows.cell(0, 2).i64(), Some(20));
    let keys: Vec<Value> = (0..50).map(|i| Value::i64(1001 + i % 2)).collect();
    rows.lookup(&keys).unwrap();
    assert_eq!(rows.len(), 50);
    assert_eq!(rows.cell(48, 2).i64(), Some(10));
    assert_eq!(rows.cell(49, 2).i64(), Some(20));
    rows.lookup(&[]).unwrap();
    assert!(rows.is_empty());
}

#[test]
#[should_panic(expected = "out of range")]
fn cells_out_of_range_panic() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let req = store.prepare(&STATS).unwrap();
    req.get(&[Value::i64(1001)]).unwrap().cell(1, 0);
}
