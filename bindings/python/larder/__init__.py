"""Larder's Python binding: a feature repo opened in process, through
liblarder and ctypes (standard library only), with the calls of Feast's
FeatureStore:

    import larder
    store = larder.Store("demo")
    store.get_online_features(
        features=["driver_hourly_stats:conv_rate"],
        entity_rows=[{"driver_id": 1001}]).to_dict()
    # {'driver_id': [1001], 'conv_rate': [0.5]}
    store.get_historical_features(
        [{"driver_id": 1001, "event_timestamp": "-1h"}],
        features=["driver_hourly_stats:conv_rate"])
    # a pandas DataFrame (pandas optional), else {column: [values]}

Every failure raises LarderError, with liblarder's code, name and message,
or the binding's for an argument it checks first (what it names, what it
takes); never a bare TypeError.
"""
from ._errors import LarderError
from ._store import DataVersion, OnlineResponse, Store, WriteStats

__all__ = ["DataVersion", "LarderError", "OnlineResponse", "Store", "WriteStats"]
__version__ = "0.1.0"
