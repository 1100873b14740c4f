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


if __name__ == "__main__":
    unittest.main()
