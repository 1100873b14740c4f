"""get_historical_features: point-in-time-correct training sets written
as CSV or Parquet from the fixture's offline CSV source."""
import csv
import os
import unittest

from fixture import RepoTestCase

ENTITIES = """driver_id,event_timestamp
1001,2024-01-01T11:00:00Z
1001,2024-01-01T13:00:00Z
1002,2024-01-03T00:00:00Z
1003,2024-01-01T13:00:00Z
"""


class HistoricalTest(RepoTestCase):
    def setUp(self):
        super().setUp()
        self.entities = os.path.join(self.repo, "entities.csv")
        with open(self.entities, "w") as f:
            f.write(ENTITIES)

    def training_set(self, name, **kwargs):
        output = os.path.join(self.repo, name)
        rows = self.store.get_historical_features(self.entities, output=output, **kwargs)
        self.assertEqual(rows, 4)
        return output

    def test_features_as_of_each_row(self):
        with open(self.training_set("out.csv", feature_service="driver_activity_v2")) as f:
            got = list(csv.DictReader(f))
        self.assertEqual([r["conv_rate"] for r in got], ["0.5", "0.75", "", ""])
        self.assertEqual([r["avg_daily_trips"] for r in got], ["10", "12", "", ""])
        self.assertEqual(list(got[0]), ["driver_id", "event_timestamp", "conv_rate",
                                        "acc_rate", "avg_daily_trips"])

    def test_full_feature_names_and_parquet(self):
        with open(self.training_set("out.csv", features=["driver_hourly_stats:acc_rate"],
                                    full_feature_names=True)) as f:
            header = next(csv.reader(f))
        self.assertEqual(header[-1], "driver_hourly_stats__acc_rate")
        with open(self.training_set("out.parquet", features=["driver_profile:name"]), "rb") as f:
            self.assertEqual(f.read(4), b"PAR1")

    def test_errors(self):
        self.assertLarderError("LR_ENOTFOUND", "conv_rat", self.store.get_historical_features,
                               self.entities, features=["driver_hourly_stats:conv_rat"],
                               output=os.path.join(self.repo, "x.csv"))
        self.assertLarderError("LR_EINVAL", "output", self.store.get_historical_features,
                               self.entities, features=["driver_hourly_stats:conv_rate"])


if __name__ == "__main__":
    unittest.main()
