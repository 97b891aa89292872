//! Latency statistics and the formatting of durations for the report.

use std::time::{Duration, Instant};

/// Latencies in microseconds, sorted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Latencies(Vec<f64>);

impl Latencies {
    pub(crate) fn new(mut micros: Vec<f64>) -> Latencies {
        micros.sort_by(f64::total_cmp);
        Latencies(micros)
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        let index = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[index.min(self.0.len() - 1)]
    }

    fn p50(&self) -> f64 {
        self.percentile(50.0)
    }

    pub(crate) fn p99(&self) -> f64 {
        self.percentile(99.0)
    }

    fn max(&self) -> f64 {
        self.0.last().copied().unwrap_or(f64::NAN)
    }

    /// `p50 / p99 / max` in milliseconds.
    pub(crate) fn summary(&self) -> String {
        format!("{} / {} / {}", ms(self.p50()), ms(self.p99()), ms(self.max()))
    }
}

/// Microseconds as milliseconds, with precision that suits the size.
fn ms(micros: f64) -> String {
    let millis = micros / 1e3;
    if millis.abs() < 10.0 { format!("{millis:.2} ms") } else { format!("{millis:.1} ms") }
}

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub(crate) fn median(durations: &[Duration]) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

pub(crate) fn max(durations: &[Duration]) -> Duration {
    durations.iter().copied().max().unwrap_or_default()
}

pub(crate) fn micros_since(start: Instant, end: Instant) -> f64 {
    // A receipt can precede the write's acknowledgment, so the difference is signed.
    match end.checked_duration_since(start) {
        Some(d) => d.as_secs_f64() * 1e6,
        None => -(start.duration_since(end).as_secs_f64() * 1e6),
    }
}

pub(crate) fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}
