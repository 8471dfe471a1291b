//! Where the preprocessor's time goes, for `scripts/bench`: with `ORMCOMPARE_TIMING`
//! set, each phase of a build is timed and the build ends with one line on stderr,
//! `ormcompare-phases: read 5.1 ms, captures 80.2 ms, ...`. Without it, `lap` does
//! nothing but read a flag.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The variable that turns timing on.
pub const VARIABLE: &str = "ORMCOMPARE_TIMING";

struct Laps {
    last: Instant,
    phases: Vec<(&'static str, f64)>,
}

fn laps() -> Option<&'static Mutex<Laps>> {
    static LAPS: OnceLock<Option<Mutex<Laps>>> = OnceLock::new();
    LAPS.get_or_init(|| {
        std::env::var_os(VARIABLE).map(|_| {
            Mutex::new(Laps {
                last: Instant::now(),
                phases: Vec::new(),
            })
        })
    })
    .as_ref()
}

/// Whether timing is on (`VARIABLE` is set).
pub fn enabled() -> bool {
    laps().is_some()
}

/// Starts the clock (the first phase runs from here).
pub fn start() {
    let _ = laps();
}

/// Ends the phase `name`: the time since the previous lap (or `start`) is its own.
pub fn lap(name: &'static str) {
    if let Some(laps) = laps() {
        let mut laps = laps.lock().expect("the timing lock is never poisoned");
        let now = Instant::now();
        let ms = now.duration_since(laps.last).as_secs_f64() * 1000.0;
        laps.last = now;
        laps.phases.push((name, ms));
    }
}

/// How long the phase `name` took, when timing is on and it has ended.
pub fn phase_ms(name: &str) -> Option<f64> {
    let laps = laps()?.lock().expect("the timing lock is never poisoned");
    laps.phases
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, ms)| *ms)
}

/// The phases so far, as one line, when timing is on.
pub fn report() -> Option<String> {
    let laps = laps()?.lock().expect("the timing lock is never poisoned");
    let phases: Vec<String> = laps
        .phases
        .iter()
        .map(|(name, ms)| format!("{name} {ms:.1} ms"))
        .collect();
    Some(format!("ormcompare-phases: {}", phases.join(", ")))
}
