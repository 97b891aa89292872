//! Ages as kube-apiserver prints them: RFC 3339 timestamps read from objects, and `duration.HumanDuration`
//! (`k8s.io/apimachinery/pkg/util/duration`) applied to the time since them. The clock is a parameter.

use serde_json::Value;

const SECOND: i128 = 1_000_000_000;
const MINUTE: i128 = 60 * SECOND;
const HOUR: i128 = 60 * MINUTE;

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) in seconds since the Unix epoch: a timestamp that `IsZero`.
const GO_ZERO_TIME: i64 = -62_135_596_800;

/// `duration.HumanDuration` of a whole number of seconds: `0s`, `59s`, `119s`, `2m`, `9m59s`, `10m`, `179m`, `3h`,
/// `7h59m`, `8h`, `47h`, `2d`, `7d23h`, `8d`, `729d`, `2y`, `7y364d`, `8y`. More than a second in the future is
/// `<invalid>`; up to a second (clock skew) is `0s`.
pub fn human_duration(seconds: i64) -> String {
    human_duration_nanos(i128::from(seconds) * SECOND)
}

/// `duration.HumanDuration` of a `time.Duration` in nanoseconds, with Go's truncations.
pub(crate) fn human_duration_nanos(d: i128) -> String {
    // `int(d.Seconds())` truncates toward zero, as integer division does.
    let seconds = d / SECOND;
    if seconds < -1 {
        return "<invalid>".to_owned();
    } else if seconds < 0 {
        return "0s".to_owned();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d / MINUTE;
    if minutes < 10 {
        let s = (d / SECOND) % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d / HOUR;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) }
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) }
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

/// `translateTimestampSince`: the age of a timestamp field, `<unknown>` when it is absent, null, unreadable or Go's
/// zero time.
pub(crate) fn since(timestamp: Option<&Value>, now_unix_seconds: i64) -> String {
    match timestamp.and_then(Value::as_str).and_then(parse_rfc3339) {
        Some(nanos) => human_duration_nanos(i128::from(now_unix_seconds) * SECOND - nanos),
        None => "<unknown>".to_owned(),
    }
}

/// Parses an RFC 3339 timestamp (`2026-11-28T02:38:30Z`, with optional fraction and offset) to nanoseconds since
/// the Unix epoch. `None` for text that is not one, and for Go's zero time, which Go prints as `<unknown>`.
pub fn parse_rfc3339(text: &str) -> Option<i128> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| bytes.get(i) != Some(&c)) || !matches!(bytes.get(10), Some(b'T' | b't')) {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = bytes.get(19..)?;
    let mut fraction: i128 = 0;
    if let Some((b'.', tail)) = rest.split_first() {
        let count = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        for (i, b) in tail.iter().take(count).enumerate() {
            if i < 9 {
                fraction += i128::from(b - b'0') * 10i128.pow(8 - i as u32);
            }
        }
        rest = &tail[count..];
    }
    let offset_seconds = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let field = |a: u8, b: u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit()).then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let offset = field(*h1, *h2)? * 3600 + field(*m1, *m2)? * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    if seconds == GO_ZERO_TIME && fraction == 0 {
        return None;
    }
    Some(i128::from(seconds) * SECOND + fraction)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn human_duration_boundaries() {
        let minute = 60;
        let hour = 60 * minute;
        let day = 24 * hour;
        let year = 365 * day;
        let cases = [
            -3,
            -2,
            -1,
            0,
            1,
            59,
            60,
            119,
            2 * minute,
            2 * minute + 3,
            9 * minute + 59,
            10 * minute,
            10 * minute + 59,
            179 * minute + 59,
            3 * hour,
            3 * hour + 5 * minute,
            7 * hour + 59 * minute + 59,
            8 * hour,
            47 * hour + 59 * minute,
            48 * hour,
            2 * day + 5 * hour,
            7 * day + 23 * hour,
            8 * day,
            729 * day,
            730 * day,
            2 * year + 3 * day,
            8 * year - 1,
            8 * year,
            123 * year,
        ];
        let out: Vec<String> = cases.iter().map(|s| format!("{s} {}", human_duration(*s))).collect();
        expect![[r#"
            -3 <invalid>
            -2 <invalid>
            -1 0s
            0 0s
            1 1s
            59 59s
            60 60s
            119 119s
            120 2m
            123 2m3s
            599 9m59s
            600 10m
            659 10m
            10799 179m
            10800 3h
            11100 3h5m
            28799 7h59m
            28800 8h
            172740 47h
            172800 2d
            190800 2d5h
            687600 7d23h
            691200 8d
            62985600 729d
            63072000 2y
            63331200 2y3d
            252287999 7y364d
            252288000 8y
            3878928000 123y"#]]
        .assert_eq(&out.join("\n"));
        // Go truncates a fraction of a second toward zero: 1.5 s in the future is still "0s".
        assert_eq!(human_duration_nanos(-1_500_000_000), "0s");
        assert_eq!(human_duration_nanos(-2_000_000_000), "<invalid>");
        assert_eq!(human_duration_nanos(119_999_999_999), "119s");
    }

    #[test]
    fn timestamps_parse_as_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-28T02:38:30Z"), Some(1_795_833_510 * SECOND));
        assert_eq!(parse_rfc3339("2026-11-28T03:38:30+01:00"), parse_rfc3339("2026-11-28T02:38:30Z"));
        assert_eq!(parse_rfc3339("2000-02-29T12:00:00.25Z"), Some(951_825_600 * SECOND + SECOND / 4));
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), None, "Go's zero time");
        for bad in ["", "2026-11-28", "2026-13-01T00:00:00Z", "2026-11-28T02:38:30", "2026-11-28T02:38:30.Z", "é"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        let now = 1_795_833_510 + 25;
        assert_eq!(since(Some(&Value::from("2026-11-28T02:38:30Z")), now), "25s");
        assert_eq!(since(None, now), "<unknown>");
        assert_eq!(since(Some(&Value::Null), now), "<unknown>");
    }
}
