"""The tests' fixture: a fresh copy of bindings/testdata/repo per test,
applied with the `larder` CLI ($LARDER_BIN, else the repo's build/larder),
holding known rows written through the binding itself."""
import datetime
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(test):
    """A redis-server of the test's own on a free loopback port, stopped by
    its pid when the test ends; its port."""
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="larder-py-redis-")
    test.addCleanup(shutil.rmtree, tmp, True)
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop():
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    test.addCleanup(stop)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return port
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            test.fail(f"redis-server on port {port} did not answer PING")
        time.sleep(0.05)


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
        self.use_store(self.repo)
        apply(self.repo)
        self.ts = datetime.datetime.now(UTC).replace(microsecond=0) - HOUR
        with larder.Store(self.repo, writable=True) as store:
            write_rows(store, self.ts)
        self.store = larder.Store(self.repo)
        self.addCleanup(self.store.close)

    def use_store(self, repo):
        """Leaves the repo's online store as the fixture has it (LMDB);
        RedisRepoTestCase puts it on Redis."""

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


class RedisRepoTestCase(RepoTestCase):
    """The same repo and rows, its online store on a redis-server of the
    test's own (skipped where redis-server is not installed). Buckets
    expire 100 years after a row's ttl, so driver 1003's row, past its
    ttl, is still there to be OUTSIDE_MAX_AGE, as on LMDB (with the default
    margin of a day it would be gone: NOT_FOUND)."""

    def use_store(self, repo):
        if not shutil.which("redis-server"):
            self.skipTest("redis-server is not installed")
        port = start_redis(self)
        path = os.path.join(repo, "feature_store.yaml")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = text.replace(
            "online_store: {type: lmdb, path: data/online}",
            f"online_store: {{type: redis, url: \"redis://127.0.0.1:{port}/0\", "
            "expire_margin: 36500d}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
