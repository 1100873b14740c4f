"""One Store shared by threads: lookups (each into a result of its own,
without the GIL) while another thread writes."""
import threading
import unittest

import larder
from fixture import STATS, RepoTestCase


class ThreadsTest(RepoTestCase):
    def test_threads_share_a_store(self):
        self.store.close()
        self.store = larder.Store(self.repo, writable=True)
        failures = []

        def read(t):
            try:
                for i in range(300):
                    driver = 1001 + (i + t) % 2
                    got = self.store.get_online_features(
                        features=STATS, entity_rows=[{"driver_id": driver}, {"driver_id": 9999}])
                    trips = got.to_dict()["avg_daily_trips"]
                    if trips != [10 if driver == 1001 else 20, None]:
                        failures.append(trips)
            except Exception as e:  # reported below, with the thread's failures
                failures.append(e)

        def write():
            for i in range(100):
                self.store.write_to_online_store("driver_hourly_stats", [{
                    "driver_id": 5000 + i, "event_timestamp": self.ts, "conv_rate": i,
                    "acc_rate": None, "avg_daily_trips": i}])

        threads = [threading.Thread(target=read, args=(t,)) for t in range(4)]
        threads.append(threading.Thread(target=write))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        got = self.store.get_online_features(features=STATS, entity_rows={"driver_id": [5099]})
        self.assertEqual(got.to_dict()["conv_rate"], [99.0])


if __name__ == "__main__":
    unittest.main()
