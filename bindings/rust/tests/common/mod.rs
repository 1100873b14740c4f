//! The tests' fixture: a copy of bindings/testdata/repo, applied with the
//! `larder` CLI, holding known rows written through the binding itself.
//! Each test gets its own copy (LMDB allows one open per file and process,
//! and cargo runs tests in parallel threads).
#![allow(dead_code)] // each test binary uses its own part of the fixture

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use larder::{Column, Store, Str, Value};

const HOUR_US: i64 = 3_600_000_000;

/// A fresh, applied copy of the fixture repo, removed when dropped.
pub struct Repo {
    pub dir: PathBuf,
}

impl Repo {
    pub fn new() -> Repo {
        let repo = Repo::unapplied();
        repo.apply();
        repo
    }

    /// The copy before `larder apply`.
    pub fn unapplied() -> Repo {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("larder-rs-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        copy_dir(&manifest_dir().join("../testdata/repo"), &dir);
        Repo { dir }
    }
}

impl Repo {
    /// The same copy with its online store on the Redis server at `port`,
    /// applied. Buckets expire 100 years after a row's ttl, so driver
    /// 1003's stale row stays to be OUTSIDE_MAX_AGE, as on LMDB.
    pub fn on_redis(port: u16) -> Repo {
        let repo = Repo::unapplied();
        let config = repo.dir.join("feature_store.yaml");
        let text = fs::read_to_string(&config).unwrap().replace(
            "online_store: {type: lmdb, path: data/online}",
            &format!(
                "online_store: {{type: redis, url: \"redis://127.0.0.1:{port}/0\", expire_margin: 36500d}}"
            ),
        );
        fs::write(&config, text).unwrap();
        repo.apply();
        repo
    }

    fn apply(&self) {
        let status = Command::new(larder_bin())
            .args(["-c".as_ref(), self.dir.as_os_str(), "apply".as_ref()])
            .output()
            .expect("cannot run the larder CLI");
        assert!(
            status.status.success(),
            "apply failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
}

/// A redis-server of the test's own on a free loopback port, stopped by
/// its pid when dropped.
pub struct RedisServer {
    pub port: u16,
    child: std::process::Child,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts one and waits (10 s at most) until it answers PING; None
    /// where redis-server is not installed.
    pub fn start() -> Option<RedisServer> {
        use std::io::{Read, Write};
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("larder-rs-redis-{}-{port}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let server = RedisServer { port, child, dir };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let mut pong = [0u8; 5];
                if c.write_all(b"PING\r\n").is_ok() && c.read_exact(&mut pong).is_ok() && &pong == b"+PONG" {
                    return Some(server);
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server on port {port} did not answer PING"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The CLI: $LARDER_BIN, else the repo's build folder.
fn larder_bin() -> PathBuf {
    std::env::var_os("LARDER_BIN").map_or_else(|| manifest_dir().join("../../build/larder"), PathBuf::from)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64
}

/// The event time of the fixture's fresh rows: an hour ago.
pub fn fresh_ts() -> i64 {
    now_us() - HOUR_US
}

/// Writes the known rows the tests read: driver 1001 complete, 1002 with a
/// null acc_rate, 1003 older than the view's ttl of 1d; 1001's profile with
/// every value type; city "paris". 9999 is never written.
pub fn write_rows(store: &Store, ts: i64) {
    let stale = ts - 48 * HOUR_US;
    let ids = [Value::i64(1001), Value::i64(1002), Value::i64(1003)];
    let times = [
        Value::timestamp_us(ts),
        Value::timestamp_us(ts),
        Value::timestamp_us(stale),
    ];
    let conv = [Value::f32(0.5), Value::f32(0.125), Value::f32(0.75)];
    let acc = [Value::f32(0.25), Value::NULL, Value::f32(0.5)];
    let trips = [Value::i64(10), Value::i64(20), Value::i64(30)];
    let stats = store
        .write(
            "driver_hourly_stats",
            &[
                Column::new("driver_id", &ids),
                Column::new("event_timestamp", &times),
                Column::new("conv_rate", &conv),
                Column::new("acc_rate", &acc),
                Column::new("avg_daily_trips", &trips),
            ],
        )
        .unwrap();
    assert_eq!(stats.rows_written, 3);
    write_profile(store, ts);
    let city = store
        .write(
            "city_stats",
            &[
                Column::new("city_id", &[Value::str("paris")]),
                Column::new("event_timestamp", &[Value::timestamp_us(ts)]),
                Column::new("population", &[Value::i64(2_100_000)]),
            ],
        )
        .unwrap();
    assert_eq!(city.rows_written, 1);
}

/// Driver 1001's profile: one value of every type.
fn write_profile(store: &Store, ts: i64) {
    let embedding = [0.5f32, 1.5];
    let trip_ids = [7i64, 8];
    let languages = [Str::new("en"), Str::new("fr")];
    let columns = [
        ("driver_id", Value::i64(1001)),
        ("event_timestamp", Value::timestamp_us(ts)),
        ("name", Value::str("Ada")),
        ("rating", Value::f64(4.5)),
        ("active", Value::bool(true)),
        ("vehicles", Value::i32(2)),
        ("photo", Value::bytes(b"\x89PNG\0")),
        ("signed_up", Value::timestamp_us(1_685_577_600_000_000)),
        ("embedding", Value::array(&embedding[..])),
        ("trip_ids", Value::array(&trip_ids[..])),
        ("languages", Value::array(&languages[..])),
    ];
    let cols: Vec<Column> = columns
        .iter()
        .map(|(n, v)| Column::new(n, std::slice::from_ref(v)))
        .collect();
    assert_eq!(store.write("driver_profile", &cols).unwrap().rows_written, 1);
}

/// A repo holding the known rows, opened read-only, with the rows' time.
pub fn store_with_rows(repo: &Repo) -> (Store, i64) {
    let ts = fresh_ts();
    write_rows(&Store::open_writable(&repo.dir).unwrap(), ts);
    (Store::open(&repo.dir).unwrap(), ts)
}
