//! Plain-scalar resolution as Kubernetes reads YAML.
//!
//! kubectl and the API machinery convert YAML to JSON with `sigs.k8s.io/yaml`, which
//! decodes with a fork of go-yaml v2 and therefore YAML 1.1 rules: `yes`, `on` and `y`
//! are `true`, `0644` is octal (420), `1_000` is 1000, `08` is the float 8. A YAML 1.2
//! reader would take `privileged: yes` for a string and miss a privileged container.
//! This module follows go-yaml v2's `resolve.go` (its table and the `D`/`S`/`.` hints).

use rampart_model::Value;

/// Resolves an untagged plain scalar.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    match first {
        b'.' => {
            if let Some(f) = go_parse_float(text) {
                return Value::Float(f);
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if let Some(date) = date_only(text) {
                return Value::Str(date.into());
            }
            let plain: std::borrow::Cow<'_, str> = if text.contains('_') {
                text.replace('_', "").into()
            } else {
                text.into()
            };
            if let Some(i) = go_parse_int(&plain) {
                return Value::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                #[allow(clippy::cast_precision_loss)]
                return Value::Float(u as f64);
            }
            if yaml_style_float(&plain)
                && let Some(f) = go_parse_float(&plain)
            {
                return Value::Float(f);
            }
            let binary = |digits: &str, negative: bool| {
                i64::from_str_radix(digits, 2)
                    .ok()
                    .map(|v| Value::Int(if negative { -v } else { v }))
            };
            if let Some(b) = plain.strip_prefix("0b") {
                if let Some(v) = binary(b, false) {
                    return v;
                }
            } else if let Some(b) = plain.strip_prefix("-0b")
                && let Some(v) = binary(b, true)
            {
                return v;
            }
        }
        _ => {}
    }
    Value::Str(rampart_model::intern(text))
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b` or a
/// leading `0` (octal) prefix, or decimal.
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_prefixed(body)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`: no sign allowed.
fn go_parse_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    parse_prefixed(s)
}

fn parse_prefixed(body: &str) -> Option<u64> {
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A float as Go's `strconv.ParseFloat` reads the decimal forms YAML produces.
fn go_parse_float(s: &str) -> Option<f64> {
    // Rust accepts "inf"/"nan" spellings Go's YAML path never sees here; require a digit.
    if !s.bytes().any(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// go-yaml v2 turns an unquoted `2006-01-02` into a timestamp, which `sigs.k8s.io/yaml`
/// then writes as RFC 3339 (`2006-01-02T00:00:00Z`).
fn date_only(s: &str) -> Option<String> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
    {
        return None;
    }
    let all_digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
    if !(all_digits(y) && all_digits(m) && all_digits(d)) {
        return None;
    }
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(format!("{y}-{m:02}-{d:02}T00:00:00Z"))
}

/// Whether a plain scalar may resolve to something other than a string: only those
/// starting with a digit, a sign, a dot, `~` or the first letter of a YAML 1.1 boolean
/// or null (and the empty scalar) can. Keys that cannot skip resolution.
pub(crate) fn may_resolve(text: &str) -> bool {
    text.as_bytes()
        .first()
        .is_none_or(|b| b"0123456789+-.~yYnNtTfFoO".contains(b))
}

/// The string a scalar map key becomes: `sigs.k8s.io/yaml` formats non-string keys
/// (`true`, `1`, `1.5`) as their JSON text, so `y:` is the key `"true"`.
pub(crate) fn key_string(value: &Value, raw: &str) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 {
                format!("{f:.0}")
            } else {
                f.to_string()
            }
        }
        Value::Null => "null".to_string(),
        Value::Str(_) | Value::Seq(_) | Value::Map(_) => raw.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    /// The table of how Kubernetes (sigs.k8s.io/yaml over go-yaml v2) reads plain
    /// scalars, one row per rule of go-yaml v2's resolver.
    #[test]
    fn resolves_like_go_yaml_v2() {
        let s = |t: &str| Value::Str(t.into());
        let table: &[(&str, Value)] = &[
            ("yes", Value::Bool(true)),
            ("Yes", Value::Bool(true)),
            ("YES", Value::Bool(true)),
            ("y", Value::Bool(true)),
            ("Y", Value::Bool(true)),
            ("on", Value::Bool(true)),
            ("ON", Value::Bool(true)),
            ("true", Value::Bool(true)),
            ("True", Value::Bool(true)),
            ("no", Value::Bool(false)),
            ("n", Value::Bool(false)),
            ("N", Value::Bool(false)),
            ("off", Value::Bool(false)),
            ("Off", Value::Bool(false)),
            ("false", Value::Bool(false)),
            ("FALSE", Value::Bool(false)),
            ("tRUE", s("tRUE")),
            ("yEs", s("yEs")),
            ("", Value::Null),
            ("~", Value::Null),
            ("null", Value::Null),
            ("Null", Value::Null),
            ("NULL", Value::Null),
            ("nULL", s("nULL")),
            ("0644", Value::Int(420)),
            ("0777", Value::Int(511)),
            ("0o644", Value::Int(420)),
            ("0x1F", Value::Int(31)),
            ("0b101", Value::Int(5)),
            ("-0b101", Value::Int(-5)),
            ("1_000", Value::Int(1000)),
            ("+12", Value::Int(12)),
            ("-12", Value::Int(-12)),
            ("0", Value::Int(0)),
            ("08", Value::Float(8.0)),
            ("09.5", Value::Float(9.5)),
            ("1.5", Value::Float(1.5)),
            ("1e3", Value::Float(1000.0)),
            ("-1.5E-2", Value::Float(-0.015)),
            (".5", Value::Float(0.5)),
            ("1.", Value::Float(1.0)),
            (".inf", Value::Float(f64::INFINITY)),
            ("-.Inf", Value::Float(f64::NEG_INFINITY)),
            (
                "18446744073709551615",
                Value::Float(18_446_744_073_709_551_615.0),
            ),
            ("2021-03-04", s("2021-03-04T00:00:00Z")),
            ("2021-3-4", s("2021-03-04T00:00:00Z")),
            ("1.2.3", s("1.2.3")),
            ("v1", s("v1")),
            ("8080/TCP", s("8080/TCP")),
            ("0xZZ", s("0xZZ")),
            ("1e", s("1e")),
            ("-", s("-")),
            ("=", s("=")),
            ("<<", s("<<")),
            ("500m", s("500m")),
            ("1Gi", s("1Gi")),
            ("12:30", s("12:30")),
        ];
        for (text, want) in table {
            let got = resolve_plain(text);
            match (&got, want) {
                (Value::Float(a), Value::Float(b)) => assert!(
                    (a - b).abs() < 1e-9 || (a.is_infinite() && a == b),
                    "{text:?}: got {got:?}, want {want:?}"
                ),
                _ => assert_eq!(&got, want, "{text:?}"),
            }
        }
        assert!(matches!(resolve_plain(".nan"), Value::Float(f) if f.is_nan()));
    }

    #[test]
    fn keys_become_their_json_text() {
        assert_eq!(key_string(&resolve_plain("y"), "y"), "true");
        assert_eq!(key_string(&resolve_plain("off"), "off"), "false");
        assert_eq!(key_string(&resolve_plain("010"), "010"), "8");
        assert_eq!(key_string(&resolve_plain("name"), "name"), "name");
    }
}
