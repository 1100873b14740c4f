"""get_online_features in Feast's shape: values, statuses, event times,
every value type, string keys, services and full feature names."""
import datetime
import unittest

from fixture import HOUR, STATS, UTC, RedisRepoTestCase, RepoTestCase


class OnlineTest(RepoTestCase):
    def get(self, rows, **kwargs):
        kwargs.setdefault("features", STATS)
        return self.store.get_online_features(entity_rows=rows, **kwargs)

    def test_to_dict_puts_join_keys_first(self):
        got = self.get([{"driver_id": 1001}]).to_dict()
        self.assertEqual(got, {"driver_id": [1001], "conv_rate": [0.5],
                               "acc_rate": [0.25], "avg_daily_trips": [10]})
        self.assertEqual(list(got), ["driver_id", "conv_rate", "acc_rate",
                                     "avg_daily_trips"])

    def test_null_missing_and_stale_values(self):
        resp = self.get({"driver_id": [1002, 9999, 1003]})
        got = resp.to_dict()
        self.assertEqual(got["conv_rate"], [0.125, None, None])
        self.assertEqual(got["acc_rate"], [None, None, None])
        statuses = resp.statuses()
        self.assertEqual(statuses["conv_rate"], ["PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"])
        self.assertEqual(statuses["acc_rate"], ["NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE"])
        times = resp.event_timestamps()["acc_rate"]
        self.assertEqual(times, [self.ts, None, self.ts - 48 * HOUR])

    def test_event_timestamps_in_feast_shape(self):
        got = self.get([{"driver_id": 1001}, {"driver_id": 9999}]).to_dict(
            include_event_timestamps=True)
        self.assertEqual(got["conv_rate__ts"], [int(self.ts.timestamp()), None])
        self.assertEqual(list(got)[1:3], ["conv_rate", "conv_rate__ts"])

    def test_every_value_type(self):
        names = ["name", "rating", "active", "vehicles", "photo", "signed_up",
                 "embedding", "trip_ids", "languages"]
        got = self.get([{"driver_id": 1001}],
                       features=[f"driver_profile:{n}" for n in names]).to_dict()
        self.assertEqual(got, {
            "driver_id": [1001], "name": ["Ada"], "rating": [4.5],
            "active": [True], "vehicles": [2], "photo": [b"\x89PNG\0"],
            "signed_up": [datetime.datetime(2023, 6, 1, tzinfo=UTC)],
            "embedding": [[0.5, 1.5]], "trip_ids": [[7, 8]],
            "languages": [["en", "fr"]]})

    def test_string_keys_and_composite_requests(self):
        got = self.get([{"driver_id": 1001, "city_id": "paris"},
                        {"driver_id": 1002, "city_id": "rome"}],
                       features=["driver_hourly_stats:conv_rate",
                                 "city_stats:population"]).to_dict()
        self.assertEqual(got, {"driver_id": [1001, 1002],
                               "city_id": ["paris", "rome"],
                               "conv_rate": [0.5, 0.125],
                               "population": [2100000, None]})

    def test_feature_services(self):
        got = self.get([{"driver_id": 1001}], features=None,
                       feature_service="driver_activity_v2").to_dict()
        self.assertEqual(list(got), ["driver_id", "conv_rate", "acc_rate",
                                     "avg_daily_trips"])
        self.assertEqual(got["avg_daily_trips"], [10])

    def test_full_feature_names(self):
        got = self.get([{"driver_id": 1002}], full_feature_names=True).to_dict()
        self.assertEqual(list(got), ["driver_id", "driver_hourly_stats__conv_rate",
                                     "driver_hourly_stats__acc_rate",
                                     "driver_hourly_stats__avg_daily_trips"])
        self.assertEqual(got["driver_hourly_stats__avg_daily_trips"], [20])

    def test_no_entities(self):
        self.assertEqual(self.get([]).to_dict(), {
            "driver_id": [], "conv_rate": [], "acc_rate": [], "avg_daily_trips": []})


if __name__ == "__main__":
    unittest.main()


class RedisOnlineTest(RedisRepoTestCase, OnlineTest):
    """Every test above, the store on Redis: the binding works unchanged."""
