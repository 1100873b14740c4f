"""The tests' fixture: a fresh copy of bindings/testdata/repo per test,
applied with the `larder` CLI ($LARDER_BIN, else the repo's build/larder),
holding known rows written through the binding itself."""
import datetime
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest

import larder

ROOT = pathlib.Path(__file__).resolve().parents[3]
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)
STATS = ["driver_hourly_stats:conv_rate", "driver_hourly_stats:acc_rate",
         "driver_hourly_stats:avg_daily_trips"]


def write_rows(store, ts):
    """Driver 1001 complete, 1002 with a null acc_rate, 1003 older than the
    view's ttl of 1d; 1001's profile with every value type; city "paris".
    9999 is never written. Both shapes of rows are used."""
    store.write_to_online_store("driver_hourly_stats", [
        {"driver_id": 1001, "event_timestamp": ts, "conv_rate": 0.5,
         "acc_rate": 0.25, "avg_daily_trips": 10},
        {"driver_id": 1002, "event_timestamp": ts, "conv_rate": 0.125,
         "acc_rate": None, "avg_daily_trips": 20},
        {"driver_id": 1003, "event_timestamp": ts - 48 * HOUR, "conv_rate": 0.75,
         "acc_rate": 0.5, "avg_daily_trips": 30},
    ])
    store.write_to_online_store("driver_profile", {
        "driver_id": [1001], "event_timestamp": [ts], "name": ["Ada"],
        "rating": [4.5], "active": [True], "vehicles": [2],
        "photo": [b"\x89PNG\0"],
        "signed_up": [datetime.datetime(2023, 6, 1, tzinfo=UTC)],
        "embedding": [[0.5, 1.5]], "trip_ids": [[7, 8]],
        "languages": [["en", "fr"]]})
    store.write_to_online_store("city_stats", [
        {"city_id": "paris", "event_timestamp": ts, "population": 2100000}])


def apply(repo):
    larder_bin = os.environ.get("LARDER_BIN", str(ROOT / "build" / "larder"))
    subprocess.run([larder_bin, "-c", repo, "apply"], check=True,
                   capture_output=True)


class RepoTestCase(unittest.TestCase):
    """self.repo: an applied copy of the fixture holding the known rows,
    written at self.ts (an hour ago); self.store: it, opened read-only."""

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix="larder-py-")
        self.addCleanup(shutil.rmtree, tmp, True)
        self.repo = os.path.join(tmp, "repo")
        shutil.copytree(ROOT / "bindings" / "testdata" / "repo", self.repo)
        apply(self.repo)
        self.ts = datetime.datetime.now(UTC).replace(microsecond=0) - HOUR
        with larder.Store(self.repo, writable=True) as store:
            write_rows(store, self.ts)
        self.store = larder.Store(self.repo)
        self.addCleanup(self.store.close)

    def assertLarderError(self, name, needle, call, *args, **kwargs):
        """call(*args, **kwargs) raises LarderError `name`, its message
        holding `needle`."""
        with self.assertRaises(larder.LarderError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.name, name, caught.exception)
        self.assertIn(needle, caught.exception.message)
        self.assertTrue(str(caught.exception).startswith(name))
        return caught.exception

    def assertLarderMessage(self, name, message, call, *args, **kwargs):
        """call(*args, **kwargs) raises LarderError `name` with exactly
        this message."""
        error = self.assertLarderError(name, message, call, *args, **kwargs)
        self.assertEqual(error.message, message)
