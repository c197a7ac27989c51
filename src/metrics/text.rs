//! The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then one
//! sample per line, `name{label="value",...} value`.

use std::fmt::Write;

/// The content type of a `/metrics` response in this format.
///
/// ```
/// let body = avqc::metrics::Metrics::new().render();
/// let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
///     avqc::metrics::CONTENT_TYPE, body.len());
/// assert!(head.contains("text/plain; version=0.0.4"));
/// ```
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a metric family is: a counter only goes up (its name ends in `_total`), a gauge goes
/// up and down.
///
/// ```
/// use avqc::metrics::MetricKind;
/// assert_eq!(MetricKind::Counter.as_str(), "counter");
/// assert_eq!(MetricKind::Gauge.as_str(), "gauge");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (resets when the process restarts).
    Counter,
    /// Any value.
    Gauge,
}

impl MetricKind {
    /// The word of the `# TYPE` line.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed become `\\`, `\"` and `\n`.
///
/// ```
/// use avqc::metrics::escape_label_value;
/// assert_eq!(escape_label_value("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
/// ```
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes the text of a `# HELP` line: backslash and line feed become `\\` and `\n`.
pub(crate) fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Formats a sample value: `NaN`, `+Inf`, `-Inf`, or the shortest decimal that reads back
/// as the same number.
///
/// ```
/// use avqc::metrics::format_value;
/// assert_eq!(format_value(1.0), "1");
/// assert_eq!(format_value(-23.5), "-23.5");
/// assert_eq!(format_value(f64::NAN), "NaN");
/// assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
/// ```
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        // Rust's Display is the shortest round-trip form and never uses an exponent.
        format!("{v}")
    }
}

/// Whether `name` is a valid metric or label name (`[a-zA-Z_:][a-zA-Z0-9_:]*`; labels may not
/// use `:`, which the callers here never do).
pub(crate) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Writes one family: its HELP and TYPE lines, then its samples.
pub(crate) fn write_family<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    kind: MetricKind,
    samples: impl IntoIterator<Item = (&'a [(&'static str, String)], f64)>,
) {
    debug_assert!(valid_name(name), "{name}");
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {}", kind.as_str());
    for (labels, value) in samples {
        out.push_str(name);
        if !labels.is_empty() {
            out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{k}=\"{}\"", escape_label_value(v));
            }
            out.push('}');
        }
        out.push(' ');
        out.push_str(&format_value(value));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("plain"), "plain");
        assert_eq!(escape_label_value("C:\\in\"x\"\n"), "C:\\\\in\\\"x\\\"\\n");
        // other characters, UTF-8 included, pass through
        assert_eq!(escape_label_value("caméra 1 {a=b}"), "caméra 1 {a=b}");
    }

    #[test]
    fn help_escapes_backslash_and_newline_only() {
        assert_eq!(escape_help("a\\b\n\"c\""), "a\\\\b\\n\"c\"");
    }

    #[test]
    fn values_read_back() {
        for v in [
            0.0,
            1.0,
            -0.5,
            1e-9,
            123456789.125,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(format_value(v).parse::<f64>().unwrap(), v, "{v}");
        }
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(1e21), "1000000000000000000000");
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("avqc_defects_total"));
        assert!(valid_name("_x:y1"));
        assert!(!valid_name("1x"));
        assert!(!valid_name("a-b"));
        assert!(!valid_name(""));
    }

    #[test]
    fn a_family_renders_help_type_and_samples() {
        let mut out = String::new();
        let a = [
            ("stream", "cam \"1\"".to_string()),
            ("defect", "video_freeze".to_string()),
        ];
        let b: [(&'static str, String); 0] = [];
        write_family(
            &mut out,
            "avqc_x_total",
            "Things\nseen.",
            MetricKind::Counter,
            [(&a[..], 2.0), (&b[..], 0.5)],
        );
        assert_eq!(
            out,
            "# HELP avqc_x_total Things\\nseen.\n# TYPE avqc_x_total counter\n\
             avqc_x_total{stream=\"cam \\\"1\\\"\",defect=\"video_freeze\"} 2\navqc_x_total 0.5\n"
        );
    }
}
