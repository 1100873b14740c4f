"""Failures raise LarderError with liblarder's code, name and message."""
import os
import shutil
import tempfile
import unittest

import larder
from fixture import ROOT, STATS, RepoTestCase


class OpenErrorTest(unittest.TestCase):
    def test_missing_repo(self):
        with self.assertRaises(larder.LarderError) as caught:
            larder.Store("/nonexistent/repo")
        self.assertEqual((caught.exception.code, caught.exception.name), (-4, "LR_ENOTFOUND"))
        self.assertIn("/nonexistent/repo", caught.exception.message)

    def test_repo_never_applied(self):
        tmp = tempfile.mkdtemp(prefix="larder-py-")
        self.addCleanup(shutil.rmtree, tmp, True)
        repo = os.path.join(tmp, "repo")
        shutil.copytree(ROOT / "bindings" / "testdata" / "repo", repo)
        with self.assertRaises(larder.LarderError) as caught:
            larder.Store(repo)
        self.assertEqual(caught.exception.name, "LR_ENOREGISTRY")


class LookupErrorTest(RepoTestCase):
    def get(self, rows, **kwargs):
        kwargs.setdefault("features", STATS)
        return self.store.get_online_features(entity_rows=rows, **kwargs)

    def test_bad_feature_references(self):
        rows = [{"driver_id": 1001}]
        self.assertLarderError("LR_EINVAL", "view:feature", self.get, rows,
                               features=["driver_hourly_stats"])
        self.assertLarderError("LR_ENOTFOUND", "conv_rate", self.get, rows,
                               features=["driver_hourly_stats:conv_rat"])
        self.assertLarderError("LR_ENOTFOUND", "driver_activity_v3", self.get, rows,
                               features=None, feature_service="driver_activity_v3")
        self.assertLarderError("LR_EINVAL", "exactly one", self.get, rows,
                               feature_service="driver_activity_v2")
        self.assertLarderError("LR_EINVAL", "list", self.get, rows,
                               features="driver_hourly_stats:conv_rate")

    def test_keys_of_the_wrong_type(self):
        self.assertLarderError("LR_ETYPE", "driver_id", self.get, [{"driver_id": "1001"}])
        self.assertLarderError("LR_ETYPE", "driver_id", self.get, [{"driver_id": 1.5}])
        self.assertLarderError("LR_ETYPE", "object", self.get, [{"driver_id": object()}])

    def test_missing_and_unknown_key_columns(self):
        self.assertLarderError("LR_EINVAL", "driverid", self.get, [{"driverid": 1001}])
        self.assertLarderError("LR_EINVAL", "", self.get, [{"driver_id": 1001}, {}])
        self.assertLarderError("LR_EINVAL", "different lengths", self.get,
                               {"driver_id": [1001], "city_id": []},
                               features=["city_stats:population", "driver_hourly_stats:conv_rate"])


    def test_py010_missing_join_keys_and_request_fields(self):
        self.assertLarderMessage(
            "LR_EINVAL", "request field 'val_to_add' is missing from entity_rows: give it in "
            "every row (None is a null value)", self.get, [{"driver_id": 1001}],
            features=None, feature_service="driver_activity_v1")
        self.assertLarderMessage(
            "LR_EINVAL", "join key 'driver_id' is missing from entity_rows: give it in every "
            "row (None is a null value)", self.get, {"city_id": ["paris"]},
            features=["city_stats:population", "driver_hourly_stats:conv_rate"])
        self.assertLarderMessage(
            "LR_EINVAL", "entity_rows[1] has no 'val_to_add' (entity_rows[0] has it): give "
            "every column in every row (None is a null value)", self.get,
            [{"driver_id": 1001, "val_to_add": 1}, {"driver_id": 1002}],
            features=None, feature_service="driver_activity_v1")

    def test_py011_arguments_of_the_wrong_type(self):
        rows = [{"driver_id": 1001}]
        cases = [
            ("features[1] must be a str, not int 1", dict(features=[STATS[0], 1])),
            ("features must be a list of 'view:feature' references, not set {1}",
             dict(features={1})),
            ("feature_service must be a str, not int 1",
             dict(features=None, feature_service=1)),
            ("entity_rows must be a list of dicts, a dict of columns or a pandas DataFrame, "
             "not int 5", dict(entity_rows=5)),
            ("entity_rows[0] must be a dict {column: value}, not int 1001",
             dict(entity_rows=[1001])),
            ("entity_rows['driver_id'] must be a list of values (a dict of columns), not "
             "int 1001", dict(entity_rows={"driver_id": 1001})),
            ("the column names of entity_rows[0] must be str, not int 1",
             dict(entity_rows=[{1: 1001}])),
            ("full_feature_names must be True or False, not str 'yes'",
             dict(full_feature_names="yes")),
        ]
        for message, kwargs in cases:
            with self.subTest(message):
                kwargs = {"features": STATS, "entity_rows": rows, **kwargs}
                self.assertLarderMessage("LR_EINVAL", message,
                                         self.store.get_online_features, **kwargs)
        self.assertLarderMessage("LR_EINVAL", "repo must be a path (a str or an "
                                 "os.PathLike), not int 5", larder.Store, 5)
        self.assertLarderMessage("LR_EINVAL", "writable must be True or False, not str "
                                 "'yes'", larder.Store, self.repo, writable="yes")


class WriteErrorTest(RepoTestCase):
    def row(self, **changes):
        row = {"driver_id": 1, "event_timestamp": self.ts, "conv_rate": 0.5,
               "acc_rate": 0.5, "avg_daily_trips": 1}
        row.update(changes)
        return [row]

    def test_read_only_store(self):
        self.assertLarderError("LR_EREADONLY", "", self.store.write_to_online_store,
                               "driver_hourly_stats", self.row())

    def test_bad_rows_write_nothing(self):
        self.store.close()
        with larder.Store(self.repo, writable=True) as store:
            write = store.write_to_online_store
            self.assertLarderError("LR_ENOTFOUND", "driver_stats", write, "driver_stats", self.row())
            self.assertLarderError("LR_ETYPE", "conv_rate", write, "driver_hourly_stats",
                                   self.row(conv_rate="high"))
            self.assertLarderError("LR_EINVAL", "yesterday", write, "driver_hourly_stats",
                                   self.row(event_timestamp="yesterday"))
            self.assertLarderError("LR_EINVAL", "acc_rate", write, "driver_hourly_stats",
                                   [{"driver_id": 1, "event_timestamp": self.ts, "conv_rate": 0.5}])
            got = store.get_online_features(features=STATS, entity_rows=[{"driver_id": 1}])
            self.assertEqual(got.statuses()["conv_rate"], ["NOT_FOUND"])

    def test_py012_values_of_the_wrong_type_write_nothing(self):
        profile = {"driver_id": 1, "event_timestamp": self.ts, "name": "a", "rating": 1.0,
                   "active": True, "vehicles": 1, "photo": b"", "signed_up": self.ts,
                   "embedding": [1.0], "trip_ids": [1], "languages": ["x"]}
        cases = [
            ("column 'embedding': element 1 of the list must be float32, not str 'a'",
             dict(embedding=[1.0, "a"])),
            ("column 'trip_ids': element 0 of the list must be int64, not float 1.5",
             dict(trip_ids=[1.5])),
            ("column 'trip_ids': element 0 of the list must be int64, not int "
             "1180591620717411303424", dict(trip_ids=[2**70])),
            ("column 'languages': element 0 of the list must be string, not int 1",
             dict(languages=[1])),
            ("column 'rating' must be float64, not dict {'x': 1}", dict(rating={"x": 1})),
        ]
        self.store.close()
        with larder.Store(self.repo, writable=True) as store:
            for message, changes in cases:
                with self.subTest(message):
                    self.assertLarderMessage("LR_ETYPE", message, store.write_to_online_store,
                                             "driver_profile", [{**profile, **changes}])
            self.assertLarderMessage("LR_EINVAL", "feature_view_name must be a str, not int 5",
                                     store.write_to_online_store, 5, [profile])
            self.assertLarderMessage("LR_EINVAL", "rows must be a list of dicts, a dict of "
                                     "columns or a pandas DataFrame, not str 'rows'",
                                     store.write_to_online_store, "driver_profile", "rows")
            got = store.get_online_features(features=["driver_profile:name"],
                                            entity_rows=[{"driver_id": 1}])
            self.assertEqual(got.statuses()["name"], ["NOT_FOUND"])


if __name__ == "__main__":
    unittest.main()
