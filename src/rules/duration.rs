//! Durations as Terraform users write them in `timeouts` blocks: Go's
//! `time.ParseDuration` syntax (`30s`, `5m`, `1h30m`, `1.5h`).

use std::time::Duration;

/// Parses a Go-style duration. Negative durations and a bare number without unit are
/// refused (Go accepts `0` alone; so do we).
pub fn parse(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{} is not a duration: write a number and a unit, e.g. \"30s\", \"5m\", \"1h30m\" (units ns, us, ms, s, m, h)",
            super::quote(s)
        )
    };
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let (num, tail) = rest.split_at(num_len);
        let value: f64 = num.parse().map_err(|_| bad())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = tail;
    }
    if !total.is_finite() || total > 1e12 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

/// `d` in the same syntax, whole seconds (`30s`, `5m`, `1h30m`), for messages.
pub fn format(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_what_parse_reads() {
        for (secs, text) in [
            (30, "30s"),
            (300, "5m"),
            (5400, "1h30m"),
            (3601, "1h1s"),
            (0, "0s"),
        ] {
            let d = Duration::from_secs(secs);
            assert_eq!(format(d), text);
            assert_eq!(parse(text), Ok(d));
        }
    }

    #[test]
    fn table() {
        let ok = [
            ("5m", 300.0),
            ("15m", 900.0),
            ("30s", 30.0),
            ("1h30m", 5400.0),
            ("1.5h", 5400.0),
            ("250ms", 0.25),
            ("0", 0.0),
        ];
        for (s, secs) in ok {
            assert_eq!(parse(s), Ok(Duration::from_secs_f64(secs)), "{s}");
        }
        for s in ["", "5", "5 minutes", "m5", "-5m", "5d", "1h 30m", ".m"] {
            assert!(parse(s).is_err(), "{s}");
        }
    }
}
