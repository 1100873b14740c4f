//! bench_lookup.rs - times predict.rs's lookup (three features of one
//! driver, then batches of 100) through the Rust binding, to compare with
//! bindings/bench/lookup.c, which makes the same lookups from C with the
//! same keys: the difference is the binding's overhead. Each timed run is a
//! lookup plus reading every cell. Run both through bindings/bench.sh.
//!
//!   bench_lookup REPO [LOOKUPS]
use std::hint::black_box;
use std::time::Instant;

use larder::{Request, Store, Value};

const FEATURES: [&str; 3] = [
    "driver_hourly_stats:conv_rate",
    "driver_hourly_stats:acc_rate",
    "driver_hourly_stats:avg_daily_trips",
];

/// The i-th key: the drivers 1001..1300 of `larder init`, in a scattered
/// order (lookup.c uses the same formula).
fn key(i: usize) -> i64 {
    1001 + (i * 7919 % 300) as i64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let repo = args.get(1).expect("usage: bench_lookup REPO [LOOKUPS]");
    let lookups: usize = args
        .get(2)
        .map_or(200_000, |s| s.parse().expect("LOOKUPS: a number"));
    let store = Store::open(repo).unwrap();
    let req = store.prepare(&FEATURES).unwrap();
    for batch in [1, 100] {
        let mut ns = time(&req, batch, (lookups / batch).max(100));
        report(batch, &mut ns);
    }
}

/// Nanoseconds of each of `runs` lookups of `batch` entities (after as
/// many untimed ones, to warm the caches).
fn time(req: &Request<'_>, batch: usize, runs: usize) -> Vec<f64> {
    let mut rows = req.rows(batch).unwrap();
    let mut keys = vec![Value::i64(0); batch];
    let mut ns = Vec::with_capacity(runs);
    let mut sum = 0.0;
    for r in 0..2 * runs {
        for (j, k) in keys.iter_mut().enumerate() {
            *k = Value::i64(key(r * batch + j));
        }
        let start = Instant::now();
        rows.lookup(&keys).unwrap();
        for e in 0..batch {
            sum += rows.cell(e, 0).f32().unwrap_or(0.0) as f64 + rows.cell(e, 1).f32().unwrap_or(0.0) as f64;
            sum += rows.cell(e, 2).i64().unwrap_or(0) as f64;
        }
        if r >= runs {
            ns.push(start.elapsed().as_nanos() as f64);
        }
    }
    black_box(sum);
    ns
}

fn report(batch: usize, ns: &mut [f64]) {
    ns.sort_by(f64::total_cmp);
    let mean = ns.iter().sum::<f64>() / ns.len() as f64;
    println!(
        "rust batch={batch} runs={} p50_ns={:.0} p99_ns={:.0} mean_ns={mean:.0}",
        ns.len(),
        ns[ns.len() / 2],
        ns[ns.len() * 99 / 100]
    );
}
