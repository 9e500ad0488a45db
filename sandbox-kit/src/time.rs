//! Time: the clock in milliseconds, civil dates, ISO 8601 in the forms the APIs write, and parsing them back.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    now_ms() / 1000
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `now + ttl`, capped (a huge TTL means "never" rather than an overflow).
pub fn deadline(ttl: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(ttl).or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400))).unwrap_or(now)
}

/// ISO 8601 UTC with milliseconds: `2024-10-14T10:44:36.276Z`.
pub fn iso_ms(ms: i64) -> String {
    format_time(ms, TimeForm::Millis)
}

/// The current time as ISO 8601 UTC with milliseconds.
pub fn now_iso() -> String {
    iso_ms(now_ms())
}

/// The timestamp forms the APIs write, all for an exact instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeForm {
    /// `2026-05-01T12:00:00.000Z`.
    Millis,
    /// `2026-05-01T12:00:00+00:00`.
    ZeroOffset,
    /// `2026-05-01T12:00:00.000+00:00` (milliseconds and an explicit zero offset).
    MillisZeroOffset,
    /// `2026-05-01T12:00:00Z` (no milliseconds).
    Seconds,
    /// `2026-05-01T12:00:00` (no zone at all: the instant's UTC wall clock).
    ZoneLess,
    /// `2026-05-01T14:00:00+02:00`: the same instant at UTC+2.
    PlusTwo,
    /// `2026-05-01T07:00:00.000-05:00`: the same instant at UTC−5, with milliseconds.
    MinusFiveMillis,
}

/// `ms` (since the epoch) in `form`. The forms without milliseconds drop them: give them whole seconds.
pub fn format_time(ms: i64, form: TimeForm) -> String {
    // (offset in minutes, milliseconds written, zone: None, Some(true) = `Z`, Some(false) = `±HH:MM`)
    let (offset_min, millis, zone) = match form {
        TimeForm::Millis => (0, true, Some(true)),
        TimeForm::ZeroOffset => (0, false, Some(false)),
        TimeForm::MillisZeroOffset => (0, true, Some(false)),
        TimeForm::Seconds => (0, false, Some(true)),
        TimeForm::ZoneLess => (0, false, None),
        TimeForm::PlusTwo => (120, false, Some(false)),
        TimeForm::MinusFiveMillis => (-300, true, Some(false)),
    };
    let local = ms + offset_min * 60_000;
    let days = local.div_euclid(86_400_000);
    let rem = local.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}");
    if millis {
        out.push_str(&format!(".{milli:03}"));
    }
    match zone {
        None => {}
        Some(true) => out.push('Z'),
        Some(false) => {
            let sign = if offset_min < 0 { '-' } else { '+' };
            out.push_str(&format!("{sign}{:02}:{:02}", offset_min.abs() / 60, offset_min.abs() % 60));
        }
    }
    out
}

/// Parses `YYYY-MM-DD` into a day number; `None` when it is not a real date in that format.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let day = days_from_civil(i64::from(y), m, d);
    // Reject 2023-02-30 and the like: the round trip must give the same date.
    (civil_from_days(day) == (i64::from(y), m, d)).then_some(day)
}

/// Parses an ISO 8601 instant into ms since the epoch: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by
/// `Z`, `±HH:MM` or nothing (zone-less reads as UTC). A bare date is its midnight, UTC.
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_ascii() {
        return None;
    }
    let Some((date, rest)) = s.split_once('T') else {
        return parse_date(s).map(|d| d * 86_400_000);
    };
    let day = parse_date(date)?;
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z').or_else(|| rest.strip_suffix('z')) {
        (c, 0)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let (c, off) = rest.split_at(rest.len() - 6);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let hh: i64 = digits(off.get(1..3)?)?;
        let mm: i64 = digits(off.get(4..6)?)?;
        if off.as_bytes()[3] != b':' || hh > 23 || mm > 59 {
            return None;
        }
        (c, sign * (hh * 60 + mm))
    } else {
        (rest, 0)
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => (h, f),
        Some(_) => return None,
        None => (clock, ""),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let h: i64 = digits(parts[0])?;
    let m: i64 = digits(parts[1])?;
    let sec: i64 = if parts.len() == 3 { digits(parts[2])? } else { 0 };
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let millis: i64 = if frac.is_empty() { 0 } else { digits(&format!("{frac:0<3}")[..3])? };
    Some(day * 86_400_000 + h * 3_600_000 + m * 60_000 + sec * 1000 + millis - offset_min * 60_000)
}

fn digits(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None }
}

/// A `Duration` as whole seconds, rounded up (at least 1 when non-zero).
pub fn ceil_secs(d: Duration) -> u64 {
    let s = d.as_secs();
    if d.subsec_nanos() > 0 { s + 1 } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(iso_ms(1_728_902_676_276), "2024-10-14T10:44:36.276Z");
        assert_eq!(parse_date("2024-10-14"), Some(days_from_civil(2024, 10, 14)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-2-01"), None);
        assert_eq!(parse_date("２０２３-02-01"), None);
        assert_eq!(ceil_secs(Duration::from_millis(1001)), 2);
    }

    #[test]
    fn time_forms_write_the_same_instant() {
        let noon = days_from_civil(2026, 5, 1) * 86_400_000 + 12 * 3_600_000;
        let written: Vec<String> = [
            TimeForm::Millis,
            TimeForm::ZeroOffset,
            TimeForm::MillisZeroOffset,
            TimeForm::Seconds,
            TimeForm::ZoneLess,
            TimeForm::PlusTwo,
            TimeForm::MinusFiveMillis,
        ]
        .into_iter()
        .map(|f| format_time(noon, f))
        .collect();
        assert_eq!(
            written,
            [
                "2026-05-01T12:00:00.000Z",
                "2026-05-01T12:00:00+00:00",
                "2026-05-01T12:00:00.000+00:00",
                "2026-05-01T12:00:00Z",
                "2026-05-01T12:00:00",
                "2026-05-01T14:00:00+02:00",
                "2026-05-01T07:00:00.000-05:00",
            ]
        );
        assert!(written.iter().all(|w| parse_instant(w) == Some(noon)), "{written:?}");
        let late = days_from_civil(2025, 12, 31) * 86_400_000 + 23 * 3_600_000 + 30 * 60_000;
        assert_eq!(format_time(late, TimeForm::PlusTwo), "2026-01-01T01:30:00+02:00");
        assert_eq!(format_time(late + 7, TimeForm::Millis), "2025-12-31T23:30:00.007Z");
    }

    #[test]
    fn instants_parse_strictly() {
        assert_eq!(parse_instant("2024-12-24T12:00"), parse_instant("2024-12-24T12:00:00Z"));
        assert_eq!(parse_instant("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_instant("2024-09-23T18:33:10.049+00:00").map(|ms| ms % 1000), Some(49));
        for bad in [
            "",
            "2024-13-01",
            "2024-12-24T25:00",
            "2024-12-24T12:00:00.",
            "2024-12-24T12:00+5",
            "12:00",
            "2024-12-24T12:00:0é+00:00",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }
}
