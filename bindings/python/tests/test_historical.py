"""get_historical_features: point-in-time-correct training sets from the
fixture's offline CSV sources, with entity rows given as a file, a list of
dicts, a dict of columns or a pandas DataFrame, returned as a table (a
DataFrame when pandas is importable, else a dict of columns) or written as
CSV or Parquet."""
import csv
import datetime
import os
import struct
import sys
import unittest
from unittest import mock

import larder
from fixture import UTC, RepoTestCase

try:
    import pandas
except ImportError:
    pandas = None
NO_PANDAS = ("pandas is not importable by this python3 (Debian: apt-get install "
             "python3-pandas, which scripts/deps.sh installs)")

ENTITIES = """driver_id,event_timestamp
1001,2024-01-01T11:00:00Z
1001,2024-01-01T13:00:00Z
1002,2024-01-03T00:00:00Z
1003,2024-01-01T13:00:00Z
"""
TIMES = [datetime.datetime(2024, 1, 1, 11, tzinfo=UTC),
         datetime.datetime(2024, 1, 1, 13, tzinfo=UTC),
         datetime.datetime(2024, 1, 3, tzinfo=UTC),
         datetime.datetime(2024, 1, 1, 13, tzinfo=UTC)]
# The training set of ENTITIES with driver_activity_v2, as a dict of columns.
EXPECTED = {"driver_id": [1001, 1001, 1002, 1003], "event_timestamp": TIMES,
            "conv_rate": [0.5, 0.75, None, None], "acc_rate": [0.25, 0.5, None, None],
            "avg_daily_trips": [10, 12, None, None]}
# A driver_profile source whose values are hard to read back from CSV.
PROFILE = r'''driver_id,event_timestamp,name,rating,active,vehicles,photo,signed_up,embedding,trip_ids,languages
1001,2024-01-01T00:00:00Z,"A, ""da""",0.1,true,2,\x89PNG\x00\x5C,2023-06-01T00:00:00.123456Z,"[0.1,1.5]","[7,8]","[""it's"", ""a,b"", """", ""x]y"", ""é""]"
1002,2024-01-01T00:00:00Z,,-1e300,false,,,,[],[],[]
'''


def float32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


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

    def table(self, entity_rows, **kwargs):
        kwargs.setdefault("feature_service", "driver_activity_v2")
        return self.store.get_historical_features(entity_rows, as_dataframe=False, **kwargs)

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
        self.assertLarderError("LR_ENOTFOUND", "conv_rat", self.table, self.entities,
                               feature_service=None, features=["driver_hourly_stats:conv_rat"])

    def test_py001_a_file_gives_a_table_of_typed_values(self):
        self.assertEqual(self.table(self.entities), EXPECTED)
        got = self.table(self.entities, feature_service=None, full_feature_names=True,
                         features=["driver_hourly_stats:avg_daily_trips"])
        self.assertEqual(got["driver_hourly_stats__avg_daily_trips"], [10, 12, None, None])

    def test_py002_rows_in_memory_give_the_same_table(self):
        rows = [{"driver_id": d, "event_timestamp": t}
                for d, t in zip(EXPECTED["driver_id"], TIMES)]
        self.assertEqual(self.table(rows), EXPECTED)
        columns = {"driver_id": (1001, 1001, 1002, 1003),
                   "event_timestamp": ["2024-01-01T11:00:00Z", TIMES[1].replace(tzinfo=None),
                                       TIMES[2], "2024-01-01T14:00:00+01:00"]}
        self.assertEqual(self.table(columns), EXPECTED)
        self.assertEqual(self.table([]), {name: [] for name in EXPECTED})

    def test_py003_other_columns_come_back_as_given(self):
        rows = {"driver_id": [1001, 1002], "city_id": ["007", "paris"],
                "event_timestamp": TIMES[:2], "label": [1.5, None], "seen": [True, False],
                "note": ['a, "b"\nc', ""], "raw": [b"\x00\\\xff", None], "n": [1, 2.5]}
        got = self.table(rows, feature_service=None, features=["city_stats:population"])
        self.assertEqual(got, {**rows, "n": [1.0, 2.5], "population": [None, 2100000]})

    def test_py004_every_value_type_reads_back(self):
        with open(os.path.join(self.repo, "data", "driver_profile.csv"), "w") as f:
            f.write(PROFILE)
        names = ["name", "rating", "active", "vehicles", "photo", "signed_up",
                 "embedding", "trip_ids", "languages"]
        got = self.table([{"driver_id": 1001, "event_timestamp": TIMES[0]},
                          {"driver_id": 1002, "event_timestamp": TIMES[0]}],
                         feature_service=None, features=[f"driver_profile:{n}" for n in names])
        signed_up = datetime.datetime(2023, 6, 1, 0, 0, 0, 123456, tzinfo=UTC)
        self.assertEqual({n: got[n] for n in names}, {
            "name": ['A, "da"', None], "rating": [0.1, -1e300], "active": [True, False],
            "vehicles": [2, None], "photo": [b"\x89PNG\x00\\", None],
            "signed_up": [signed_up, None], "embedding": [[float32(0.1), 1.5], []],
            "trip_ids": [[7, 8], []], "languages": [["it's", "a,b", "", "x]y", "é"], []]})

    def test_py005_request_fields_ride_in_entity_rows(self):
        rows = [{"driver_id": 1001, "event_timestamp": TIMES[1], "val_to_add": 2},
                {"driver_id": 1001, "event_timestamp": TIMES[1], "val_to_add": None}]
        got = self.table(rows, feature_service="driver_activity_v1")
        self.assertEqual(got["conv_rate_plus_val1"], [2.75, None])
        self.assertEqual(list(got), ["driver_id", "event_timestamp", "val_to_add",
                                     "conv_rate", "acc_rate", "conv_rate_plus_val1"])

    def test_py006_bad_entity_rows_name_the_row_column_and_type(self):
        row = {"driver_id": 1001, "event_timestamp": TIMES[0]}
        cases = [
            ("LR_EINVAL", "request field 'val_to_add' is missing from entity_rows: give it "
             "in every row (None is a null value)", [row], "driver_activity_v1"),
            ("LR_EINVAL", "join key 'driver_id' is missing from entity_rows: give it in "
             "every row (None is a null value)", [{"event_timestamp": TIMES[0]}], None),
            ("LR_EINVAL", "entity_rows[1] has no 'event_timestamp' (entity_rows[0] has it): "
             "give every column in every row (None is a null value)",
             [row, {"driver_id": 1002}], None),
            ("LR_ETYPE", "entity_rows[1]: join key 'driver_id' must be int64, not str '1002'",
             [row, {**row, "driver_id": "1002"}], None),
            ("LR_ETYPE", "entity_rows[0]: request field 'val_to_add' must be int64, not "
             "float 0.5", [{**row, "val_to_add": 0.5}], "driver_activity_v1"),
            ("LR_ETYPE", "entity_rows column 'label' mixes int64, string: give one type "
             "per column", [{**row, "label": 1}, {**row, "label": "one"}], None),
            ("LR_ETYPE", "entity_rows[0]: 'label' must be a bool, int, float, str, bytes "
             "or datetime, not list [1, 2]", [{**row, "label": [1, 2]}], None),
            ("LR_EINVAL", "column 'event_timestamp': cannot read 'yesterday' as a time",
             [{**row, "event_timestamp": "yesterday"}], None),
            ("LR_EINVAL", "entity_rows must be a path (.csv or .parquet), a list of dicts, "
             "a dict of columns or a pandas DataFrame, not int 5", 5, None),
        ]
        for name, message, rows, service in cases:
            with self.subTest(message):
                self.assertLarderMessage(name, message, self.table, rows,
                                         feature_service=service or "driver_activity_v2")
        self.assertLarderMessage("LR_EINVAL", "as_dataframe must be True or False, not str "
                                 "'yes'", self.store.get_historical_features, [row],
                                 feature_service="driver_activity_v2", as_dataframe="yes")

    def test_py013_epoch_numbers_in_the_unit_given(self):
        """Integer event times are epoch times in timestamp_unit (seconds
        by default), read by liblarder's one time parser; the training set
        holds the times read."""
        seconds = [int(t.timestamp()) for t in TIMES]
        for unit, scale in (("ms", 1000), ("us", 10 ** 6), ("ns", 10 ** 9)):
            with self.subTest(unit):
                rows = {"driver_id": EXPECTED["driver_id"],
                        "event_timestamp": [s * scale for s in seconds]}
                self.assertEqual(self.table(rows, timestamp_unit=unit), EXPECTED)
        rows = {"driver_id": EXPECTED["driver_id"], "event_timestamp": seconds}
        self.assertEqual(self.table(rows), EXPECTED)
        millis = {"driver_id": [1001], "event_timestamp": [seconds[0] * 1000]}
        self.assertLarderMessage(
            "LR_EINVAL", "the entity rows' query: row 1: column 'event_timestamp': 1704106800000 "
            "as seconds is past the year 9999; if these are milliseconds, use "
            "--timestamp-unit ms", self.table, millis)
        self.assertLarderMessage(
            "LR_EINVAL", "'hours' is not a timestamp unit: give s, ms, us or ns (the "
            "unit of epoch numbers in the entity rows)", self.table, millis,
            timestamp_unit="hours")
        self.assertLarderMessage(
            "LR_EINVAL", "timestamp_unit must be 's', 'ms', 'us' or 'ns', not int 1000",
            self.table, millis, timestamp_unit=1000)

    def test_py007_without_pandas_a_dict_of_columns(self):
        with mock.patch.dict(sys.modules, {"pandas": None}):
            got = self.store.get_historical_features(self.entities,
                                                     feature_service="driver_activity_v2")
            self.assertEqual(got, EXPECTED)
            self.assertLarderMessage(
                "LR_EUNSUPPORTED", "as_dataframe=True needs pandas, which cannot be "
                "imported: install it (Debian: python3-pandas), or pass as_dataframe=False",
                self.store.get_historical_features, self.entities,
                feature_service="driver_activity_v2", as_dataframe=True)


@unittest.skipUnless(pandas, NO_PANDAS)
class PandasTest(RepoTestCase):
    def test_py008_a_dataframe_in_a_dataframe_out(self):
        frame = pandas.DataFrame({"driver_id": EXPECTED["driver_id"],
                                  "event_timestamp": pandas.to_datetime(TIMES, utc=True),
                                  "label": [1.0, float("nan"), 3.0, None]})
        got = self.store.get_historical_features(frame, feature_service="driver_activity_v2")
        self.assertIsInstance(got, pandas.DataFrame)
        self.assertEqual(list(got.columns), ["driver_id", "event_timestamp", "label",
                                             "conv_rate", "acc_rate", "avg_daily_trips"])
        self.assertEqual(str(got["event_timestamp"].dtype), "datetime64[ns, UTC]")
        self.assertEqual(got["event_timestamp"].tolist(), TIMES)
        self.assertEqual(got["label"].isna().tolist(), [False, True, False, True])
        self.assertEqual(got["conv_rate"].head(2).tolist(), [0.5, 0.75])
        self.assertEqual(got["avg_daily_trips"].isna().tolist(), [False, False, True, True])

    def test_py009_dataframes_for_lookups_and_writes(self):
        self.store.close()
        self.store = larder.Store(self.repo, writable=True)
        rows = pandas.DataFrame({"driver_id": [7, 8], "event_timestamp": [self.ts] * 2,
                                 "conv_rate": [0.5, float("nan")], "acc_rate": [0.25, 0.5],
                                 "avg_daily_trips": [1, 2]})
        self.assertEqual(self.store.write_to_online_store("driver_hourly_stats", rows),
                         larder.WriteStats(2, 0))
        got = self.store.get_online_features(
            features=["driver_hourly_stats:conv_rate", "driver_hourly_stats:avg_daily_trips"],
            entity_rows=pandas.DataFrame({"driver_id": [7, 8]}))
        self.assertEqual(got.to_dict(), {"driver_id": [7, 8], "conv_rate": [0.5, None],
                                         "avg_daily_trips": [1, 2]})
        self.assertEqual(got.statuses()["conv_rate"], ["PRESENT", "NULL_VALUE"])


if __name__ == "__main__":
    unittest.main()
