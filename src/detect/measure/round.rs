//! Numbers as the detectors report them in metrics and details: rounded to a few decimals.

/// `x` rounded to 2 decimals.
pub(crate) fn round2(x: f32) -> f64 {
    (x as f64 * 100.0).round() / 100.0
}

/// `x` rounded to 3 decimals.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Decibels relative to full scale of an RMS or peak value.
pub(crate) fn dbfs(x: f64) -> f64 {
    if x > 0.0 {
        (20.0 * x.log10() * 10.0).round() / 10.0
    } else {
        -240.0
    }
}
