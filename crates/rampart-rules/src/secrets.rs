//! Recognising secret values: known credential formats, and high-entropy values where
//! the name says a secret belongs.
//!
//! The detector never returns the value or any part of it: callers get a kind and build
//! redacted [`Evidence`](crate::finding::Evidence) from the value themselves.
//!
//! Names alone never make a finding: `SECRET_PATH=/etc/x`, `valueFrom.secretKeyRef`
//! and `$(VAR)` references are not secrets. A value is flagged when it has a known
//! credential shape, or when its name is secret-like *and* the value looks like a
//! credential (long enough, varied enough, not a path, reference, URL or flag).

/// What kind of secret a value looks like, if any.
pub fn classify(name: &str, value: &str) -> Option<&'static str> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some(kind) = known_format(value) {
        return Some(kind);
    }
    if secret_like_name(name) && credential_like(value) {
        return Some("high-entropy value in a secret-named field");
    }
    None
}

/// Known credential shapes, anywhere in the value.
pub fn known_format(value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("PEM private key");
    }
    for word in value.split(|c: char| {
        !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '+' | '='))
    }) {
        if let Some(kind) = token_format(word) {
            return Some(kind);
        }
    }
    if basic_auth_url(value) {
        return Some("URL with an embedded password");
    }
    None
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

fn token_format(word: &str) -> Option<&'static str> {
    let upper_alnum = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    if word.len() == 20
        && ["AKIA", "ASIA", "ABIA", "ACCA"]
            .iter()
            .any(|p| word.starts_with(p))
        && all(word, upper_alnum)
    {
        return Some("AWS access key id");
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(rest) = word.strip_prefix(prefix)
            && rest.len() >= 36
            && all(rest, alnum)
        {
            return Some("GitHub token");
        }
    }
    if let Some(rest) = word.strip_prefix("github_pat_")
        && rest.len() >= 60
        && all(rest, |b| alnum(b) || b == b'_')
    {
        return Some("GitHub fine-grained token");
    }
    if let Some(rest) = word.strip_prefix("glpat-")
        && rest.len() >= 20
        && all(rest, |b| alnum(b) || b == b'_' || b == b'-')
    {
        return Some("GitLab personal access token");
    }
    for prefix in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-"] {
        if let Some(rest) = word.strip_prefix(prefix)
            && rest.len() >= 10
            && all(rest, |b| alnum(b) || b == b'-')
            && rest.bytes().any(|b| b.is_ascii_digit())
        {
            return Some("Slack token");
        }
    }
    if word.len() == 39
        && word
            .strip_prefix("AIza")
            .is_some_and(|r| all(r, |b| alnum(b) || b == b'_' || b == b'-'))
    {
        return Some("Google API key");
    }
    if word.len() >= 24 && word.strip_prefix("sk_live_").is_some_and(|r| all(r, alnum)) {
        return Some("Stripe secret key");
    }
    if is_jwt(word) {
        return Some("JSON Web Token");
    }
    None
}

fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    let b64url =
        |s: &str| !s.is_empty() && all(s, |b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let [header, payload, signature] = parts.as_slice() else {
        return false;
    };
    header.starts_with("eyJ")
        && payload.starts_with("eyJ")
        && header.len() >= 10
        && payload.len() >= 10
        && signature.len() >= 16
        && parts.iter().all(|p| b64url(p))
}

/// `scheme://user:password@host` with a literal password.
fn basic_auth_url(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return false;
    };
    let Some((_, password)) = userinfo.split_once(':') else {
        return false;
    };
    !host.is_empty()
        && !password.is_empty()
        && !is_reference(password)
        && !password.starts_with('<')
}

/// Whether a name says it holds a secret.
pub fn secret_like_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    // Names that describe where a secret is, or what it is called, hold no secret.
    let not_secret = [
        "_path",
        "_file",
        "_dir",
        "_name",
        "_url",
        "_uri",
        "_endpoint",
        "_host",
        "_enabled",
        "_ref",
        "_id",
        "_type",
        "_mode",
        "_length",
        "_ttl",
        "_format",
        "_location",
        "_mount",
        "_version",
    ];
    if not_secret.iter().any(|s| n.ends_with(s)) || n.contains("secretkeyref") {
        return false;
    }
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "access_key",
        "accesskey",
        "private_key",
        "privatekey",
        "credential",
        "auth_key",
        "client_secret",
        "signing_key",
        "encryption_key",
    ]
    .iter()
    .any(|k| n.contains(k))
}

fn is_reference(v: &str) -> bool {
    (v.starts_with("$(") && v.ends_with(')'))
        || (v.starts_with("${") && v.ends_with('}'))
        || (v.starts_with("{{") && v.ends_with("}}"))
}

/// Whether a value looks like a credential rather than a path, reference, URL, flag
/// or word.
pub fn credential_like(value: &str) -> bool {
    let v = value.trim();
    if v.chars().count() < 8
        || v.contains(char::is_whitespace)
        || is_reference(v)
        || v.contains("$(")
    {
        return false;
    }
    if v.starts_with('/') || v.starts_with("./") || v.contains("://") || v.starts_with('<') {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if [
        "true", "false", "enabled", "disabled", "changeme", "required", "optional", "none", "null",
    ]
    .contains(&lower.as_str())
    {
        return false;
    }
    let ext = [".pem", ".key", ".crt", ".json", ".yaml", ".txt"];
    if ext.iter().any(|e| lower.ends_with(e)) || v.parse::<f64>().is_ok() {
        return false;
    }
    // Identifiers such as `my-app-token` or `DB_PASSWORD` are names, not values.
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    let has_other = v
        .bytes()
        .any(|b| !b.is_ascii_alphanumeric() && b != b'-' && b != b'_' && b != b'.');
    let has_upper = v.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = v.bytes().any(|b| b.is_ascii_lowercase());
    let classes = usize::from(has_digit)
        + usize::from(has_other)
        + usize::from(has_upper)
        + usize::from(has_lower);
    if looks_like_object_name(v) {
        return false;
    }
    classes >= 2 && entropy(v) >= 3.0 && (v.chars().count() >= 10 || classes >= 3)
}

/// Lower-case DNS-style names and `namespace/name` references (`cluster0`,
/// `cert-manager/webhook-ca`) name things; long hex strings, which look alike, are keys.
fn looks_like_object_name(v: &str) -> bool {
    let is_hex_key = v.len() >= 16 && v.bytes().all(|b| b.is_ascii_hexdigit());
    let label = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !p.starts_with('-')
            && !p.ends_with('-')
    };
    !is_hex_key && v.split('/').all(label)
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The lines of every text that hold a secret value, so that no output shows them,
/// even as context of another finding: values the detector recognises (under their
/// key as the name, or as a `--flag=value`), every value of a Secret's `data` and
/// `stringData`, and every `secret` of an EncryptionConfiguration. Block scalars mark
/// all their lines.
pub fn sensitive_lines(
    inventory: &rampart_model::Inventory,
) -> std::collections::HashSet<(rampart_model::FileId, u32)> {
    use rampart_model::{Node, Value};
    use rayon::prelude::*;
    let per_object = inventory.objects.par_iter().map(|object| {
        let mut lines = Vec::new();
        let Some(file) = object.file() else {
            return lines;
        };
        let kind = object.kind();
        let mut stack: Vec<(&Node, &str, bool)> = vec![(&object.root, "", false)];
        while let Some((node, key, forced)) = stack.pop() {
            match &node.value {
                Value::Map(m) => {
                    for e in m {
                        let force = forced
                            || (kind == "Secret" && matches!(&*e.key, "data" | "stringData"))
                            || (kind == "EncryptionConfiguration" && &*e.key == "secret");
                        stack.push((&e.value, &e.key, force));
                    }
                }
                Value::Seq(items) => stack.extend(items.iter().map(|n| (n, key, forced))),
                Value::Str(s) => {
                    let flagged = forced
                        || classify(key, s).is_some()
                        || s.strip_prefix("--")
                            .and_then(|f| f.split_once('='))
                            .is_some_and(|(f, v)| classify(f, v).is_some());
                    if flagged && node.pos.is_known() {
                        let extra = u32::try_from(s.matches('\n').count()).unwrap_or(0);
                        for line in node.pos.line..=node.pos.line.saturating_add(extra) {
                            lines.push((file, line));
                        }
                    }
                }
                _ => {}
            }
        }
        lines
    });
    per_object.flatten_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_formats() {
        assert_eq!(
            classify("X", "AKIAIOSFODNN7EXAMPLE"),
            Some("AWS access key id")
        );
        assert_eq!(
            classify("X", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            Some("GitHub token")
        );
        assert_eq!(
            classify("X", "-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
            Some("PEM private key")
        );
        assert_eq!(
            classify("X", "postgres://app:s3cr3t@db:5432/app"),
            Some("URL with an embedded password")
        );
        assert_eq!(
            classify("X", "xoxb-1234567890-abcdefghij"),
            Some("Slack token")
        );
        assert_eq!(
            classify(
                "X",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
            ),
            Some("JSON Web Token")
        );
    }

    #[test]
    fn names_alone_are_not_secrets() {
        assert_eq!(classify("SECRET_PATH", "/etc/x"), None);
        assert_eq!(classify("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"), None);
        assert_eq!(classify("TOKEN_FILE", "/var/run/secrets/token"), None);
        assert_eq!(classify("API_TOKEN", "true"), None);
        assert_eq!(classify("SECRET_NAME", "my-app-secret-v2"), None);
        assert_eq!(classify("DATABASE_URL", "postgres://app@db:5432/app"), None);
        assert_eq!(classify("PASSWORD", "password"), None);
    }

    #[test]
    fn high_entropy_values_under_secret_names() {
        assert!(classify("DB_PASSWORD", "Xk9#mP2$vL8qR4").is_some());
        assert!(classify("API_KEY", "a8f5f167f44f4964e6c998dee827110c").is_some());
        assert_eq!(
            classify("LOG_LEVEL", "a8f5f167f44f4964e6c998dee827110c"),
            None
        );
    }
}
