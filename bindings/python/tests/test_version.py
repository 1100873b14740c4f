"""Data versions: the store's grows with each write, a lookup's is the
store's when it read, and both compare and print as `larder version`
does."""
import unittest

import larder
from fixture import RepoTestCase


class VersionTest(RepoTestCase):
    def setUp(self):
        super().setUp()
        self.store.close()
        self.store = larder.Store(self.repo, writable=True)

    def write(self, trips):
        self.store.write_to_online_store("driver_hourly_stats", [
            {"driver_id": 7, "event_timestamp": self.ts, "conv_rate": 0.5,
             "acc_rate": 0.5, "avg_daily_trips": trips}])

    def read(self):
        return self.store.get_online_features(
            features=["driver_hourly_stats:avg_daily_trips"],
            entity_rows=[{"driver_id": 7}])

    def test_version_grows_with_each_write(self):
        before = self.store.version()
        self.assertIsInstance(before, larder.DataVersion)
        self.write(1)
        after = self.store.version()
        self.assertGreater(after, before)
        self.assertEqual(after.generation, before.generation)
        self.assertGreater(after.seq, before.seq)
        self.write(2)
        self.assertGreater(self.store.version(), after)
        self.assertEqual(self.store.version(), self.store.version())

    def test_a_lookup_reads_the_stores_version(self):
        self.write(3)
        first = self.read()
        self.assertEqual(first.to_dict()["avg_daily_trips"], [3])
        self.assertEqual(first.version(), self.store.version())
        self.write(4)
        self.assertLess(first.version(), self.store.version(),
                        "a response keeps the version it read")
        second = self.read()
        self.assertEqual(second.to_dict()["avg_daily_trips"], [4])
        self.assertEqual(second.version(), self.store.version())

    def test_a_read_only_store_reports_the_same_version(self):
        version = self.store.version()
        self.store.close()
        self.store = larder.Store(self.repo)
        self.assertEqual(self.store.version(), version)
        self.assertEqual(self.read().version(), version)

    def test_versions_compare_by_generation_then_seq_and_print_as_g_dot_s(self):
        v = larder.DataVersion
        self.assertLess(v(1, 5), v(1, 6))
        self.assertLess(v(1, 1042), v(2, 1))
        self.assertEqual(max(v(2, 7), v(1, 99)), v(2, 7))
        self.assertEqual(str(v(3, 1042)), "3.1042")
        self.assertEqual((v(3, 1042).generation, v(3, 1042).seq), (3, 1042))

    def test_a_closed_store_has_no_version(self):
        self.store.close()
        self.assertLarderError("LR_EINVAL", "", self.store.version)


if __name__ == "__main__":
    unittest.main()
