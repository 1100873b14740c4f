"""On-demand features: request-data fields ride in the entity rows, as in
Feast, and are not echoed by to_dict()."""
import unittest

from fixture import RepoTestCase


class RequestDataTest(RepoTestCase):
    def test_services_take_request_data_from_entity_rows(self):
        resp = self.store.get_online_features(
            feature_service="driver_activity_v1",
            entity_rows=[{"driver_id": 1001, "val_to_add": 2},
                         {"driver_id": 1001, "val_to_add": None}])
        self.assertEqual(resp.to_dict(), {
            "driver_id": [1001, 1001], "conv_rate": [0.5, 0.5], "acc_rate": [0.25, 0.25],
            "conv_rate_plus_val1": [2.5, None]})
        self.assertEqual(resp.statuses()["conv_rate_plus_val1"], ["PRESENT", "NULL_VALUE"])

    def test_on_demand_references_and_columns(self):
        got = self.store.get_online_features(
            features=["transformed_conv_rate:conv_rate_plus_val1"],
            entity_rows={"driver_id": [1002, 1002], "val_to_add": [10, 0]})
        self.assertEqual(got.to_dict(), {"driver_id": [1002, 1002],
                                         "conv_rate_plus_val1": [10.125, 0.125]})
        self.assertEqual(got.event_timestamps()["conv_rate_plus_val1"], [self.ts, self.ts])

    def test_request_data_of_the_wrong_type(self):
        self.assertLarderError("LR_ETYPE", "val_to_add", self.store.get_online_features,
                               feature_service="driver_activity_v1",
                               entity_rows=[{"driver_id": 1001, "val_to_add": "2"}])


if __name__ == "__main__":
    unittest.main()
