"""write_to_online_store: values converted to the view's types, newer
rows win, timestamps as datetimes or as the CLI writes them."""
import datetime
import unittest

import larder
from fixture import HOUR, RepoTestCase


class WriteTest(RepoTestCase):
    def setUp(self):
        super().setUp()
        self.store.close()
        self.store = larder.Store(self.repo, writable=True)

    def write(self, ts, **features):
        row = {"driver_id": 7, "event_timestamp": ts, "conv_rate": 0.5,
               "acc_rate": 0.5, "avg_daily_trips": 1}
        row.update(features)
        return self.store.write_to_online_store("driver_hourly_stats", [row])

    def read(self):
        return self.store.get_online_features(
            features=["driver_hourly_stats:conv_rate", "driver_hourly_stats:avg_daily_trips"],
            entity_rows=[{"driver_id": 7}])

    def test_newer_rows_win(self):
        self.assertEqual(self.write(self.ts, conv_rate=1), larder.WriteStats(1, 0))
        self.assertEqual(self.write(self.ts - HOUR, conv_rate=0.9), larder.WriteStats(0, 1))
        self.assertEqual(self.read().to_dict()["conv_rate"], [1.0])
        self.write(self.ts + HOUR, conv_rate=None, avg_daily_trips=2**40)
        got = self.read()
        self.assertEqual(got.to_dict()["avg_daily_trips"], [2**40])
        self.assertEqual(got.statuses()["conv_rate"], ["NULL_VALUE"])

    def test_timestamps_naive_aware_and_as_text(self):
        naive = self.ts.replace(tzinfo=None) + HOUR
        self.write(naive)
        self.assertEqual(self.read().event_timestamps()["conv_rate"], [self.ts + HOUR])
        paris = datetime.timezone(datetime.timedelta(hours=2))
        self.write((self.ts + 2 * HOUR).astimezone(paris))
        self.assertEqual(self.read().event_timestamps()["conv_rate"], [self.ts + 2 * HOUR])
        self.write("2999-01-01T00:00:00Z", conv_rate=0.25)
        self.assertEqual(self.read().to_dict()["conv_rate"], [0.25])

    def test_float32_features_round(self):
        self.write(self.ts, conv_rate=0.1)
        self.assertAlmostEqual(self.read().to_dict()["conv_rate"][0], 0.1, places=6)


if __name__ == "__main__":
    unittest.main()
