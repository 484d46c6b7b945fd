//! `rampart scan -o html`: one self-contained page.
//!
//! Without a browser: the page is one document whose every tag and attribute is one we
//! write (so no input became markup), it loads nothing from anywhere, and hostile names
//! arrive escaped. With headless Chromium (skipped, with a message, when it is not
//! installed): the script ran under the page's Content-Security-Policy, the scorecard
//! and the table agree with the JSON report, the URL fragment filters and sorts, and a
//! screenshot is kept as `target/test-artefacts/html-report.png`.

#![allow(clippy::print_stderr)] // tests say why they skip

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{json, rampart};

/// Names, labels, annotations and a file name that try to break out of HTML text,
/// attributes, `<script>` and CDATA, with control characters (YAML escapes them).
const HOSTILE: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: "ns<script>alert(1)</script>"
  labels:
    evil: "\"><img src=x onerror=alert(1)>"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "web\"><img src=x onerror=alert(1)>"
  namespace: "ns<script>alert(1)</script>"
  annotations:
    note: "</script><script>alert(2)</script> ]]> <!-- \u2028\u2029 \x01\x1b[31m \x7f"
spec:
  selector: {matchLabels: {app: "a</script>"}}
  template:
    metadata:
      labels: {app: "a</script>", "x\"><svg onload=alert(3)>": "v\x02"}
    spec:
      containers:
        - name: "c</script><!--\x02\r]]>'\u0085"
          image: "nginx</script>:latest"
          # A comment with </script><!-- and ]]> in the source, shown in code frames.
          securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata:
  name: "pod'onmouseover='alert(4)"
  namespace: default
  labels: {role: "<b>x</b>"}
spec:
  containers:
    - name: "x&amp;<i>"
      image: busybox
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: "sa\"><img src=x onerror=alert(6)>"
  namespace: "ns<script>alert(1)</script>"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: "bind<script>alert(5)</script>"
subjects:
  - kind: ServiceAccount
    name: "sa\"><img src=x onerror=alert(6)>"
    namespace: "ns<script>alert(1)</script>"
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: "all<&>]]>\x03"
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: "to-all<&>"
subjects:
  - kind: User
    name: "u\"><script>alert(8)</script>"
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: "all<&>]]>\x03"
"#;

/// Raw control characters in the source itself: an input error whose message and
/// location the header lists.
const BROKEN: &[u8] =
    b"apiVersion: v1\nkind: Pod\nmetadata: {name: \"p\x01</script>\"\n  bad: [\x1b\x00\n";

fn hostile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hostile <img src=x onerror=alert(7)>.yaml"),
        HOSTILE,
    )
    .unwrap();
    std::fs::write(dir.path().join("broken<script>.yaml"), BROKEN).unwrap();
    dir
}

fn html(paths: &[&str]) -> String {
    let mut args = vec!["scan"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["-o", "html", "--fail-on", "none"]);
    let out = rampart(&args);
    assert!(
        out.status.code().is_some_and(|c| c <= 2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Elements the report writes; anything else would have come from the input.
const TAGS: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "p",
    "b",
    "i",
    "span",
    "ul",
    "ol",
    "li",
    "a",
    "details",
    "summary",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "section",
    "div",
    "input",
    "select",
    "option",
    "button",
    "code",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "pre",
    "mark",
    "svg",
    "defs",
    "marker",
    "path",
    "g",
    "rect",
    "text",
    "tspan",
    "footer",
    "script",
];

const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "http-equiv",
    "content",
    "name",
    "class",
    "id",
    "title",
    "href",
    "type",
    "placeholder",
    "autocomplete",
    "value",
    "scope",
    "colspan",
    "width",
    "height",
    "viewBox",
    "role",
    "refX",
    "refY",
    "markerWidth",
    "markerHeight",
    "orient",
    "d",
    "marker-end",
    "x",
    "y",
    "rx",
    "dy",
];

/// Reads the whole document as a tokenizer would and checks that it is ours: known
/// elements and attributes only, every attribute double-quoted, no `<`, `>` or bare `&`
/// in text or values, no link leaving the page, no resource loaded, one script, and
/// nothing invisible. Returns the script's text.
fn check_document(doc: &str) -> String {
    assert!(
        doc.starts_with("<!DOCTYPE html>\n"),
        "not one HTML document"
    );
    assert!(doc.ends_with("</html>\n"));
    for c in doc.chars() {
        let control = (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c);
        assert!(!control, "raw control character {c:?} in the document");
    }
    for banned in ["<!--", "]]>", "url(http", "url(//", "@import"] {
        assert!(!doc.contains(banned), "document contains {banned:?}");
    }
    let mut script = None;
    let mut rest = doc
        .strip_prefix("<!DOCTYPE html>\n")
        .expect("checked above");
    let mut tags = Vec::new();
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix('/') {
            let end = after.find('>').expect("unclosed end tag");
            let name = &after[..end];
            assert!(TAGS.contains(&name), "unknown end tag </{name}>");
            rest = &after[end + 1..];
            continue;
        }
        let name_end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .expect("tag runs to the end");
        let name = &rest[..name_end];
        assert!(TAGS.contains(&name), "unknown element <{name}>");
        tags.push(name.to_string());
        rest = &rest[name_end..];
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
                rest = r;
                break;
            }
            let attr_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .expect("attribute runs to the end");
            let attr = &rest[..attr_end];
            assert!(
                ATTRIBUTES.contains(&attr)
                    || attr.starts_with("data-")
                    || attr.starts_with("aria-"),
                "unknown attribute {attr:?} on <{name}>"
            );
            rest = &rest[attr_end..];
            if let Some(r) = rest.strip_prefix("=\"") {
                let end = r.find('"').expect("unclosed attribute value");
                let value = &r[..end];
                check_text(value);
                if attr == "href" {
                    assert!(value.starts_with('#'), "link leaves the page: {value}");
                }
                if attr == "marker-end" {
                    assert!(value.starts_with("url(#"), "{value}");
                }
                rest = &r[end + 1..];
            } else {
                assert!(
                    rest.starts_with(['>', ' ', '/', '\n']),
                    "attribute {attr} on <{name}> is not double-quoted"
                );
            }
        }
        // Raw text elements: skip to their end tag.
        for raw in ["style", "script"] {
            if name == raw {
                let end = rest.find(&format!("</{raw}>")).expect("unclosed raw text");
                if raw == "script" {
                    assert!(script.is_none(), "more than one script");
                    script = Some(rest[..end].to_string());
                }
                rest = &rest[end..];
            }
        }
    }
    check_text(rest);
    // (`<title>` appears in SVG too, as a tooltip.)
    for once in ["html", "head", "body", "style", "script"] {
        assert_eq!(
            tags.iter().filter(|t| *t == once).count(),
            1,
            "<{once}> must appear once"
        );
    }
    let csp = doc
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a Content-Security-Policy meta tag");
    for directive in [
        "default-src 'none'",
        "script-src 'sha256-",
        "style-src 'sha256-",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    script.expect("the report's script")
}

/// Escaped text: no markup characters, every `&` starts an entity.
fn check_text(text: &str) {
    assert!(!text.contains(['<', '>']), "unescaped markup in {text:?}");
    for (i, _) in text.match_indices('&') {
        let entity = &text[i + 1..];
        let end = entity.find(';').expect("bare &");
        let name = &entity[..end];
        assert!(
            (1..=6).contains(&name.len())
                && (name.chars().all(|c| c.is_ascii_alphabetic())
                    || name
                        .strip_prefix('#')
                        .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))),
            "bare & before {:?}",
            &entity[..entity.len().min(12)]
        );
    }
}

#[test]
fn examples_report_is_one_self_contained_document() {
    let doc = html(&["examples/insecure"]);
    check_document(&doc);
    let (_, report) = json(&[
        "scan",
        "examples/insecure",
        "-o",
        "json",
        "--fail-on",
        "none",
    ]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(doc.matches("<tr class=\"f\"").count(), findings.len());
    assert_eq!(doc.matches("<tr class=\"d\"").count(), findings.len());
    for section in [
        "id=\"scorecard\"",
        "id=\"findings\"",
        "id=\"rbac\"",
        "id=\"network\"",
    ] {
        assert!(doc.contains(section), "missing {section}");
    }
    check_scorecard(&doc, &report);
    // Secret lines of the examples are masked in code frames, as in text output.
    assert!(doc.contains("«redacted»"));
    for secret in ["Sup3rS3cret", "AKIAIOSFODNN7EXAMPLE"] {
        assert!(!doc.contains(secret), "the report shows a secret");
    }
}

/// The heat map counts the same workload-to-workload connections `rampart reach --all`
/// lists.
#[test]
fn heat_map_agrees_with_reach() {
    let doc = html(&["examples/insecure"]);
    let out = rampart(&["reach", "--all", "examples/insecure", "-o", "connlist"]);
    let list = String::from_utf8(out.stdout).unwrap();
    let pairs = list
        .lines()
        .filter(|l| !l.is_empty() && !l.contains("[External]"))
        .count();
    let attr = |name: &str| -> usize {
        doc.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(!doc.contains("id=\"net-capped\""));
    assert_eq!(attr("data-all") + attr("data-some"), pairs, "{list}");
    assert!(pairs > 0);
}

fn check_scorecard(doc: &str, report: &serde_json::Value) {
    let by_practice = report["summary"]["byPractice"].as_object().unwrap();
    for (practice, counts) in by_practice {
        let row = doc
            .split(&format!("<tr data-practice=\"{practice}\">"))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("no scorecard row for {practice}"));
        let mut total = 0;
        for (severity, n) in counts.as_object().unwrap() {
            let n = n.as_u64().unwrap();
            total += n;
            assert!(
                row.contains(&format!("data-severity=\"{severity}\" data-count=\"{n}\"")),
                "{practice}/{severity} should count {n}: {row}"
            );
        }
        assert!(row.contains(&format!("data-severity=\"total\" data-count=\"{total}\"")));
    }
}

#[test]
fn hostile_names_stay_text() {
    let dir = hostile_dir();
    let dir_path = dir.path().to_str().unwrap();
    let doc = html(&[dir_path]);
    let script = check_document(&doc);
    // The script is the same whatever the input.
    assert_eq!(script, check_document(&html(&["examples/hardened"])));
    // The input did reach the page, escaped.
    for escaped in [
        "ns&lt;script&gt;alert(1)&lt;/script&gt;",
        "web&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "pod&#39;onmouseover=&#39;alert(4)",
        "hostile &lt;img src=x onerror=alert(7)&gt;.yaml",
        "broken&lt;script&gt;.yaml",
        "all&lt;&amp;&gt;]]&gt;␃",
        "c&lt;/script&gt;&lt;!--␂␍]]&gt;&#39;\u{fffd}",
        "&lt;/script&gt;&lt;!-- and ]]&gt; in the source",
    ] {
        assert!(doc.contains(escaped), "expected {escaped:?} in the report");
    }
    for section in ["id=\"rbac\"", "id=\"network\"", "class=\"diags\""] {
        assert!(doc.contains(section), "missing {section}");
    }
}

// ---------------------------------------------------------------- the browser

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on a `file://` URL with no network, killed after 60 seconds;
/// returns its stdout. The browser's helper processes exit with it.
fn browse(chromium: &Path, profile: &Path, extra: &[String], url: &str) -> String {
    let mut child = Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Both pipes are read on threads, so a browser that hangs (or leaves a helper
    // holding a pipe) cannot hang the test: it gets a deadline instead.
    let (tx, rx) = mpsc::channel();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let (etx, erx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut err = Vec::new();
        let _ = stderr.read_to_end(&mut err);
        let _ = etx.send(err);
    });
    let Ok(out) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromium did not finish within 60 s: {url}");
    };
    let status = child.wait().unwrap();
    let err = erx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    assert!(
        status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&err)
    );
    String::from_utf8(out).unwrap()
}

/// The start tags of the findings table's rows, in document order.
fn rows(dom: &str) -> Vec<&str> {
    dom.match_indices("<tr class=\"f")
        .map(|(i, _)| {
            let tag = &dom[i..];
            &tag[..tag.find('>').unwrap()]
        })
        .collect()
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    tag.split(&format!(" {name}=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
}

/// The codes of the findings table's rows, in document order.
fn row_codes(dom: &str) -> Vec<&str> {
    dom.match_indices("<tr class=\"f")
        .map(|(i, _)| {
            let rest = &dom[i..];
            let start = rest.find("<code>").unwrap() + "<code>".len();
            &rest[start..start + rest[start..].find('<').unwrap()]
        })
        .collect()
}

#[test]
fn report_works_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED: chromium is not installed (`apt-get install chromium`; .ci/run installs \
             it as root), so the HTML report was not checked in a browser"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let page = dir.path().join("report.html");
    std::fs::write(&page, html(&["examples/insecure"])).unwrap();
    let url = format!("file://{}", page.display());
    let (_, report) = json(&[
        "scan",
        "examples/insecure",
        "-o",
        "json",
        "--fail-on",
        "none",
    ]);
    let findings = report["findings"].as_array().unwrap();
    let dump = |fragment: &str| {
        browse(
            &chromium,
            &profile,
            &["--dump-dom".to_string()],
            &format!("{url}{fragment}"),
        )
    };

    // The script ran, under the CSP, and so did the stylesheet.
    let dom = dump("");
    let body = &dom[dom.find("<body").unwrap()..];
    let body = &body[..body.find('>').unwrap()];
    assert!(
        body.contains("data-ready=\"1\""),
        "the script did not run: {body}"
    );
    assert!(
        body.contains("data-styled=\"1\""),
        "the stylesheet did not apply: {body}"
    );
    assert!(body.contains("class=\"js\""));
    // One row per finding, all shown, and the count the script wrote.
    let all = rows(&dom);
    assert_eq!(all.len(), findings.len());
    assert!(all.iter().all(|r| !r.contains(" hidden")));
    assert!(dom.contains(&format!("data-shown=\"{}\"", findings.len())));
    // Detail rows start collapsed once the script runs.
    assert_eq!(
        dom.matches("<tr class=\"d\"").count(),
        dom.matches("<tr class=\"d\" id=\"").count()
    );
    assert!(dom.contains("<tr class=\"d\" id=\"d0\" hidden=\"\">"));
    check_scorecard(&dom, &report);
    // The severity filter's counts, computed by the script from the rows.
    for (severity, n) in report["summary"]["bySeverity"].as_object().unwrap() {
        assert!(
            dom.contains(&format!("<option value=\"{severity}\" data-count=\"{n}\">")),
            "severity option {severity} should count {n}"
        );
    }
    assert!(dom.contains("id=\"rbac\"") && dom.contains("<g class=\"node"));
    assert!(dom.contains("class=\"heat\""));

    // Filters from the URL fragment.
    let dom = dump("#sev=high&practice=pod-security");
    let want = findings
        .iter()
        .filter(|f| f["severity"] == "high" && f["practice"] == "pod-security")
        .count();
    assert!(want > 0);
    let shown: Vec<&str> = rows(&dom)
        .into_iter()
        .filter(|r| !r.contains(" hidden"))
        .collect();
    assert_eq!(shown.len(), want);
    assert!(
        shown
            .iter()
            .all(|r| attr(r, "data-severity") == Some("high")
                && attr(r, "data-practice") == Some("pod-security"))
    );
    assert!(dom.contains(&format!("data-shown=\"{want}\"")));
    let dom = dump("#q=ClusterRoleBinding");
    let shown = rows(&dom)
        .into_iter()
        .filter(|r| !r.contains(" hidden"))
        .count();
    assert!(shown > 0 && shown < findings.len(), "{shown}");

    // Sorting by a column, both ways.
    for (fragment, descending) in [("#sort=code:desc", true), ("#sort=code", false)] {
        let dom = dump(fragment);
        let codes = row_codes(&dom);
        assert_eq!(codes.len(), findings.len());
        let sorted = codes.windows(2).all(|w| {
            if descending {
                w[0] >= w[1]
            } else {
                w[0] <= w[1]
            }
        });
        assert!(sorted, "{fragment}: {codes:?}");
        assert!(dom.contains(if descending {
            "data-sorted=\"code:desc\""
        } else {
            "data-sorted=\"code:asc\""
        }));
    }
    let dom = dump("#sort=severity");
    let ranks: Vec<&str> = rows(&dom)
        .iter()
        .map(|r| attr(r, "data-severity").unwrap())
        .collect();
    let order = ["critical", "high", "medium", "low", "info"];
    let position = |s: &&str| order.iter().position(|o| o == s).unwrap();
    assert!(ranks.windows(2).all(|w| position(&w[0]) <= position(&w[1])));

    // The hostile report: the script still runs, and no element came from the input.
    let hostile = hostile_dir();
    let evil = dir.path().join("hostile.html");
    std::fs::write(&evil, html(&[hostile.path().to_str().unwrap()])).unwrap();
    let dom = browse(
        &chromium,
        &profile,
        &["--dump-dom".to_string()],
        &format!("file://{}", evil.display()),
    );
    assert!(dom.contains("data-ready=\"1\""));
    for element in ["<img", "<svg onload", "<b>x", "<i>"] {
        assert!(!dom.contains(element), "{element} became an element");
    }
    assert_eq!(dom.matches("<script").count(), 1);

    // A screenshot to look at.
    let artefacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let png = artefacts.join("html-report.png");
    let _ = std::fs::remove_file(&png);
    browse(
        &chromium,
        &profile,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,2000".to_string(),
            "--hide-scrollbars".to_string(),
        ],
        &url,
    );
    let bytes = std::fs::read(&png).expect("chromium wrote no screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "a blank page? {} bytes", bytes.len());
    eprintln!("screenshot: {}", png.display());
}
