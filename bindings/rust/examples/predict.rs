//! predict.rs - the shape of a real-time prediction service in Rust: open
//! the store and prepare the request once, then per prediction load one
//! driver's features in process and score them. Prints each lookup's
//! latency, which is what such a service spends on features.
//!
//!   cargo run --example predict -- REPO [DRIVER_ID...]
//!
//! REPO is a repo like the one `larder init` creates, applied, with rows
//! (`larder write driver_hourly_stats REPO/data/driver_stats_latest.csv`).
use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use larder::{Rows, Store, Value};

const FEATURES: [&str; 3] = [
    "driver_hourly_stats:conv_rate",
    "driver_hourly_stats:acc_rate",
    "driver_hourly_stats:avg_daily_trips",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((repo, ids)) = args.split_first() else {
        eprintln!("usage: predict REPO [DRIVER_ID...]");
        return ExitCode::from(2);
    };
    match run(repo, ids) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("predict: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(repo: &str, ids: &[String]) -> Result<(), Box<dyn Error>> {
    let drivers: Vec<i64> = if ids.is_empty() {
        (1001..=1005).collect()
    } else {
        ids.iter().map(|s| s.parse()).collect::<Result<_, _>>()?
    };
    let store = Store::open(repo)?;
    let req = store.prepare(&FEATURES)?;
    let mut rows = req.rows(1)?;
    for id in drivers {
        let start = Instant::now();
        rows.lookup(&[Value::i64(id)])?;
        let micros = start.elapsed().as_secs_f64() * 1e6;
        match score(&rows) {
            Some(s) => println!("driver {id}: score {s:.4} (lookup {micros:.1} us)"),
            None => println!(
                "driver {id}: no score, {} (lookup {micros:.1} us)",
                rows.cell(0, 0).status().name()
            ),
        }
    }
    Ok(())
}

/// A toy model: a weighted sum of the driver's rates and (capped) trips;
/// None when a feature is not there.
fn score(rows: &Rows<'_>) -> Option<f64> {
    let conv = rows.cell(0, 0).f32()? as f64;
    let acc = rows.cell(0, 1).f32()? as f64;
    let trips = rows.cell(0, 2).i64()? as f64;
    Some(0.6 * conv + 0.3 * acc + 0.1 * (trips / 1000.0).min(1.0))
}
