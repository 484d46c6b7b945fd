//! RFC 3339 timestamps as microseconds since the Unix epoch (UTC), without a date
//! library: audit events carry `2024-05-01T12:00:00.123456Z`, and the only arithmetic
//! needed is comparison and a sliding window.

use rampart_rules::releases::Date;

fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0i64, |n, b| n * 10 + i64::from(b - b'0')))
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (also with a space or lowercase `t`
/// between date and time), or a bare `YYYY-MM-DD` (midnight UTC).
pub fn parse(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let date = b.get(..10)?;
    if date.get(4) != Some(&b'-') || date.get(7) != Some(&b'-') {
        return None;
    }
    let (y, m, d) = (
        digits(date.get(..4)?)?,
        digits(date.get(5..7)?)?,
        digits(date.get(8..10)?)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Four digits, a month and a day in range: the conversions cannot fail.
    let days = Date {
        year: i32::try_from(y).ok()?,
        month: u32::try_from(m).ok()?,
        day: u32::try_from(d).ok()?,
    }
    .days();
    let rest = b.get(10..)?;
    if rest.is_empty() {
        return Some(days * 86_400_000_000);
    }
    if !matches!(rest.first(), Some(b'T' | b't' | b' ')) || rest.len() < 9 {
        return None;
    }
    let (hh, mm, ss) = (
        digits(rest.get(1..3)?)?,
        digits(rest.get(4..6)?)?,
        digits(rest.get(7..9)?)?,
    );
    if rest.get(3) != Some(&b':') || rest.get(6) != Some(&b':') || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let mut rest = rest.get(9..)?;
    let mut micros = 0i64;
    if rest.first() == Some(&b'.') {
        let frac_len = rest
            .iter()
            .skip(1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if frac_len == 0 {
            return None;
        }
        let frac = rest.get(1..=frac_len)?;
        let mut scale = 100_000i64;
        for c in frac.iter().take(6) {
            micros += i64::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = rest.get(frac_len + 1..)?;
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let minutes = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let seconds = days * 86_400 + hh * 3600 + mm * 60 + ss - offset * 60;
    Some(seconds * 1_000_000 + micros)
}

/// Formats microseconds since the epoch as RFC 3339 in UTC (`2024-05-01T12:00:00Z`,
/// with a fraction only when there is one).
pub fn format(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let date = Date::from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    let base = format!("{date}T{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60);
    if frac == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{frac:06}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_round_trip() {
        let t = parse("2017-09-11T19:55:05Z").unwrap();
        assert_eq!(t, 1_505_159_705_000_000);
        assert_eq!(format(t), "2017-09-11T19:55:05Z");
        let t = parse("2024-02-29T23:59:59.123456789Z").unwrap();
        assert_eq!(format(t), "2024-02-29T23:59:59.123456Z");
        assert_eq!(
            parse("2024-03-01T01:00:00+01:00"),
            parse("2024-03-01T00:00:00Z")
        );
        assert_eq!(parse("2024-03-01"), parse("2024-03-01T00:00:00Z"));
        assert_eq!(
            format(parse("1969-12-31T23:59:59.5Z").unwrap()),
            "1969-12-31T23:59:59.500000Z"
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2024-01-01T",
            "2024-01-01T10:00",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00.Z",
            "x024-01-01",
            "2024-01-01T10:00:00+0100",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
