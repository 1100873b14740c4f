//! On-demand features: request-data fields ride after the join keys, one
//! per entity, as Feast's entity rows carry them.
mod common;

use common::{store_with_rows, Repo};
use larder::{Status, Type, Value};

#[test]
fn services_take_request_data_after_join_keys() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let req = store.prepare_service("driver_activity_v1").unwrap();
    let names = |keys: &[larder::Key]| keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(req.join_keys()), ["driver_id"]);
    assert_eq!(names(req.request_data()), ["val_to_add"]);
    assert_eq!(req.request_data()[0].dtype, Type::INT64);
    let feature_names: Vec<&str> = req.features().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(feature_names, ["conv_rate", "acc_rate", "conv_rate_plus_val1"]);
    let keys = [
        Value::i64(1001),
        Value::i64(2),
        Value::i64(1001),
        Value::i32(3),
        Value::i64(1001),
        Value::NULL,
    ];
    let rows = req.get(&keys).unwrap();
    assert_eq!(rows.cell(0, 2).f64(), Some(2.5));
    assert_eq!(rows.cell(1, 2).f64(), Some(3.5), "an int32 for an int64 field");
    assert_eq!(rows.cell(2, 2).status(), Status::NullValue);
    assert_eq!(rows.cell(2, 0).f32(), Some(0.5));
}

#[test]
fn on_demand_references_read_their_inputs() {
    let repo = Repo::new();
    let (store, ts) = store_with_rows(&repo);
    let req = store
        .prepare(&["transformed_conv_rate:conv_rate_plus_val1"])
        .unwrap();
    assert_eq!(req.features().len(), 1);
    assert_eq!(req.keys().len(), 2);
    let rows = req.get(&[Value::i64(1002), Value::i64(10)]).unwrap();
    assert_eq!(rows.cell(0, 0).f64(), Some(10.125));
    assert_eq!(rows.cell(0, 0).event_ts_us(), Some(ts));
}

#[test]
fn request_data_of_the_wrong_type() {
    let repo = Repo::new();
    let (store, _) = store_with_rows(&repo);
    let req = store.prepare_service("driver_activity_v1").unwrap();
    let err = req.get(&[Value::i64(1001), Value::str("2")]).err().unwrap();
    assert_eq!(err.name(), "LR_ETYPE");
    assert!(err.message().contains("val_to_add"), "{err}");
}
