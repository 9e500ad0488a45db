//! [`Timestamp`]: a point in time as the server wrote it, in any of the forms the APIs use.
//!
//! The same API writes timestamps several ways across endpoints: `2026-05-01T12:00:00.000Z`,
//! `2026-05-01T12:00:00+00:00`, without fractional seconds, `2023-03-27 17:07:12.662+03` (a space and an hours-only
//! offset), zone-less `2024-12-24T12:00:00`, or a date alone. A `Timestamp` keeps the text exactly (it is written
//! back as received) and parses it into [`chrono`] types, the most widely used date-time crate of the ecosystem
//! (sqlx, tokio-postgres, diesel and serde integrations all take `chrono::DateTime`).
//!
//! **Zone-less values** carry no offset: they are read as UTC. That reading is an assumption the docs do not
//! confirm; [`Timestamp::offset`] is `None` for them so that a caller can tell.
//!
//! Equality, ordering and hashing compare the instant, never the text: `…12:00:00.000Z` equals `…14:00:00+02:00`.
//!
//! ```
//! use cardsdk_runtime::Timestamp;
//!
//! let a = Timestamp::parse("2023-03-27 17:07:12.662+03")?;
//! let b = Timestamp::parse("2023-03-27T14:07:12.662Z")?;
//! assert_eq!(a, b); // the same instant
//! assert_eq!(a.as_str(), "2023-03-27 17:07:12.662+03"); // the text as sent
//! assert_eq!(a.utc().to_rfc3339(), "2023-03-27T14:07:12.662+00:00");
//! # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not a timestamp.
///
/// ```
/// let err = cardsdk_runtime::Timestamp::parse("yesterday").unwrap_err();
/// assert_eq!(err.to_string(), r#"not a timestamp: "yesterday""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a timestamp: {text:?}")]
pub struct TimestampError {
    text: String,
}

/// A timestamp: the text as sent, and the instant it denotes. See the [module docs](self).
///
/// ```
/// use cardsdk_runtime::Timestamp;
///
/// for text in ["2026-05-01T12:00:00.000Z", "2026-05-01T12:00:00+00:00", "2026-05-01T12:00:00Z", "2026-05-01 15:00:00+03"] {
///     assert_eq!(Timestamp::parse(text)?.utc().to_rfc3339(), "2026-05-01T12:00:00+00:00", "{text}");
/// }
/// let day = Timestamp::parse("2024-01-15")?;
/// assert!(day.is_date_only());
/// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
/// ```
#[derive(Clone)]
pub struct Timestamp {
    text: String,
    at: DateTime<FixedOffset>,
    zoned: bool,
    date_only: bool,
}

impl Timestamp {
    /// Parses every form the APIs use (see the [module docs](self)): RFC 3339 (`T` or a space, any number of
    /// fractional digits, `Z`/`z`, `±HH:MM`, `±HHMM` or `±HH`), without seconds, zone-less (read as UTC), or a date
    /// alone (midnight UTC).
    ///
    /// ```
    /// use cardsdk_runtime::Timestamp;
    ///
    /// let t = Timestamp::parse("2024-12-24T12:00:00")?;
    /// assert_eq!(t.offset(), None); // zone-less: read as UTC
    /// assert_eq!(t.utc().to_rfc3339(), "2024-12-24T12:00:00+00:00");
    /// assert!(Timestamp::parse("2024-13-01").is_err());
    /// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        parse(text).ok_or_else(|| TimestampError { text: text.chars().take(64).collect() })
    }

    /// The text exactly as sent.
    ///
    /// ```
    /// assert_eq!(cardsdk_runtime::Timestamp::parse("2024-01-15T10:30:00Z")?.as_str(), "2024-01-15T10:30:00Z");
    /// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant, in UTC.
    ///
    /// ```
    /// let t = cardsdk_runtime::Timestamp::parse("2024-01-15T12:30:00+02:00")?;
    /// assert_eq!(t.utc().to_rfc3339(), "2024-01-15T10:30:00+00:00");
    /// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
    /// ```
    pub fn utc(&self) -> DateTime<Utc> {
        self.at.with_timezone(&Utc)
    }

    /// The instant with the offset the server wrote (UTC for zone-less values).
    ///
    /// ```
    /// let t = cardsdk_runtime::Timestamp::parse("2023-03-27 17:07:12.662+03")?;
    /// assert_eq!(t.with_offset().offset().local_minus_utc(), 3 * 3600);
    /// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
    /// ```
    pub fn with_offset(&self) -> DateTime<FixedOffset> {
        self.at
    }

    /// The offset the server wrote; `None` for a zone-less value or a date alone.
    ///
    /// ```
    /// use cardsdk_runtime::Timestamp;
    ///
    /// assert_eq!(Timestamp::parse("2024-01-15T10:30:00Z")?.offset().map(|o| o.local_minus_utc()), Some(0));
    /// assert_eq!(Timestamp::parse("2024-01-15T10:30:00")?.offset(), None);
    /// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
    /// ```
    pub fn offset(&self) -> Option<FixedOffset> {
        self.zoned.then(|| *self.at.offset())
    }

    /// `true` when the server sent a date without a time.
    ///
    /// ```
    /// assert!(cardsdk_runtime::Timestamp::parse("2024-01-15")?.is_date_only());
    /// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
    /// ```
    pub fn is_date_only(&self) -> bool {
        self.date_only
    }
}

fn parse(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 {
        return None;
    }
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    if bytes.len() == 10 {
        let at = date.and_time(NaiveTime::MIN).and_utc().fixed_offset();
        return Some(Timestamp { text: text.to_owned(), at, zoned: false, date_only: true });
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let rest = text.get(11..)?;
    // The zone: `Z`, or the last `+`/`-` (a time has none of its own).
    let (clock, offset) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, Some(0))
    } else if let Some(at) = rest.rfind(['+', '-']) {
        (&rest[..at], Some(offset_seconds(&rest[at..])?))
    } else {
        (rest, None)
    };
    let time = parse_clock(clock)?;
    let naive = NaiveDateTime::new(date, time);
    let offset = FixedOffset::east_opt(offset.unwrap_or(0))?;
    let at = naive.and_local_timezone(offset).single()?;
    Some(Timestamp { text: text.to_owned(), at, zoned: offset_given(rest), date_only: false })
}

fn offset_given(rest: &str) -> bool {
    rest.ends_with(['Z', 'z']) || rest.contains(['+', '-'])
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f…`.
fn parse_clock(clock: &str) -> Option<NaiveTime> {
    let (hms, fraction) = match clock.split_once(['.', ',']) {
        Some((hms, f)) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => (hms, Some(f)),
        Some(_) => return None,
        None => (clock, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let number =
        |s: &str| (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten();
    let (h, m, s) = match parts[..] {
        [h, m] if fraction.is_none() => (number(h)?, number(m)?, 0),
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        _ => return None,
    };
    let nanos = match fraction {
        Some(f) => f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32),
        None => 0,
    };
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

/// `+HH`, `+HHMM` or `+HH:MM` (or `-`) in seconds east of UTC.
fn offset_seconds(zone: &str) -> Option<i32> {
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || zone[1..].matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

impl From<DateTime<Utc>> for Timestamp {
    /// RFC 3339 in UTC with milliseconds (`2024-01-15T10:30:00.000Z`), the APIs' usual form; the instant is the
    /// text's (truncated to milliseconds).
    fn from(at: DateTime<Utc>) -> Self {
        let at = chrono::SubsecRound::trunc_subsecs(at, 3);
        Timestamp {
            text: at.to_rfc3339_opts(SecondsFormat::Millis, true),
            at: at.fixed_offset(),
            zoned: true,
            date_only: false,
        }
    }
}

impl From<std::time::SystemTime> for Timestamp {
    fn from(at: std::time::SystemTime) -> Self {
        Timestamp::from(DateTime::<Utc>::from(at))
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({:?})", self.text)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Timestamp {}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.at.timestamp().hash(state);
        self.at.timestamp_subsec_nanos().hash(state);
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Timestamp {
    /// The text as sent.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::wire::Wire::from_wire(deserializer, crate::wire::Mode::Exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> String {
        Timestamp::parse(text).unwrap_or_else(|e| panic!("{e}")).utc().to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    #[test]
    fn every_form_seen() {
        assert_eq!(utc("2026-05-01T12:00:00.000Z"), "2026-05-01T12:00:00.000Z");
        assert_eq!(utc("2026-05-01T12:00:00+00:00"), "2026-05-01T12:00:00.000Z");
        assert_eq!(utc("2026-05-01T12:00:00Z"), "2026-05-01T12:00:00.000Z");
        assert_eq!(utc("2023-03-27 17:07:12.662+03"), "2023-03-27T14:07:12.662Z");
        assert_eq!(utc("2024-12-24T12:00:00"), "2024-12-24T12:00:00.000Z");
        assert_eq!(utc("2024-01-15"), "2024-01-15T00:00:00.000Z");
        assert_eq!(utc("2024-09-23T18:33:10.049+00:00"), "2024-09-23T18:33:10.049Z");
        assert_eq!(utc("2024-01-15T10:30Z"), "2024-01-15T10:30:00.000Z");
        assert_eq!(utc("2024-01-15t10:30:00.123456789z"), "2024-01-15T10:30:00.123Z");
        assert_eq!(utc("2024-01-15T10:30:00-0530"), "2024-01-15T16:00:00.000Z");
        assert_eq!(utc("2024-01-15T23:30:00-05:00"), "2024-01-16T04:30:00.000Z");
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for bad in [
            "",
            "2024",
            "2024-01-15X10:00:00Z",
            "2024-01-15T25:00:00Z",
            "2024-01-15T10:00:00+2",
            "2024-02-30",
            "2024-01-15T10:00:00.Z",
            "2024-01-15T10",
            "2024-01-15T10:00:00+05:00:00",
            "now",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn compares_instants_not_text() {
        let a = Timestamp::parse("2024-06-01T10:00:00.000Z").unwrap();
        let b = Timestamp::parse("2024-06-01T12:00:00+02:00").unwrap();
        let c = Timestamp::parse("2024-06-01T10:00:00.001Z").unwrap();
        assert_eq!(a, b);
        assert!(c > b);
        // As text, "…12:00:00+02:00" sorts after "…10:00:00.001Z": a string comparison would be wrong.
        assert!(b.as_str() > c.as_str());
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"2024-06-01T12:00:00+02:00\"");
    }
}
