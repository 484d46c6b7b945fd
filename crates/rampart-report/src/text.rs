//! Human output: findings grouped by file, each with its YAML line marked, then a
//! scorecard of the six practices.
//!
//! Styles are written as ANSI escapes; the binary wraps stdout in a stream that strips
//! them when it is not a terminal or `NO_COLOR` is set.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use rampart_model::{FileId, InputLevel, Pos, SourceFile};
use rampart_rules::{Practice, Severity};

use crate::{Report, Scorecard};

/// Options for the text format.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    /// Code frames for at most this many findings; the rest get one line each.
    pub max_snippets: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { max_snippets: 500 }
    }
}

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::Critical => AnsiColor::BrightRed,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const BLUE: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)))
    .bold();

/// Writes findings and the scorecard.
pub fn write(report: &Report<'_>, options: TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let files = &report.inventory.files;
    let mut current: Option<Option<FileId>> = None;
    for (n, f) in report.findings.iter().enumerate() {
        if current != Some(f.file) {
            current = Some(f.file);
            let name = f.file.map_or("(no file)", |id| files.name(id));
            writeln!(out, "\n{BOLD}{name}{BOLD:#}")?;
        }
        let sev = severity_style(f.severity);
        writeln!(
            out,
            "  {DIM}{:>9}{DIM:#}  {sev}{:<8}{sev:#} {BOLD}{:<7}{BOLD:#} {}",
            location(f.pos),
            f.severity.as_str(),
            f.rule.code,
            f.message
        )?;
        if n < options.max_snippets {
            if let Some((id, file)) = f.file.and_then(|id| Some((id, files.get(id)?))) {
                // Lines holding secrets are shown masked, whichever finding shows them.
                let secret = |line: u32| report.sensitive.contains(&(id, line));
                let before = f.pos.line.saturating_sub(1);
                snippet(
                    out,
                    file,
                    f.pos,
                    f.evidence.is_some() || secret(f.pos.line),
                    secret(before),
                )?;
            }
            if let Some(e) = &f.evidence {
                writeln!(
                    out,
                    "{:>12} {BLUE}={BLUE:#} evidence: {} (value redacted)",
                    "",
                    e.describe()
                )?;
            }
            for (i, step) in f.steps.iter().enumerate() {
                writeln!(out, "{:>12} {BLUE}{}.{BLUE:#} {}", "", i + 1, step.text)?;
            }
            let remediation = f.rule.remediation();
            let help = f
                .help
                .as_deref()
                .unwrap_or_else(|| first_sentence(&remediation));
            writeln!(out, "{:>12} {BLUE}={BLUE:#} help: {help}", "")?;
            if !f.field_path.is_empty() {
                writeln!(
                    out,
                    "{:>12} {BLUE}={BLUE:#} {DIM}at `{}`; `rampart explain {}`{DIM:#}",
                    "", f.field_path, f.rule.code
                )?;
            }
        }
    }
    if report.findings.len() > options.max_snippets {
        writeln!(
            out,
            "\n{DIM}(code frames shown for the first {} findings; -o json lists every detail){DIM:#}",
            options.max_snippets
        )?;
    }
    scorecard(report, out)
}

fn location(pos: Pos) -> String {
    if pos.is_known() {
        format!("{}:{}", pos.line, pos.col)
    } else {
        "-".to_string()
    }
}

pub(crate) fn first_sentence(text: &str) -> &str {
    text.find(". ").and_then(|i| text.get(..=i)).unwrap_or(text)
}

/// The marked line with one line of context before it. With `secret`, everything from
/// the marked value to the end of the line is masked; with `secret_before`, the value of
/// the context line is. Long lines (minified JSON is one line) show a window around the
/// marked column, so the work per frame does not grow with the line.
fn snippet(
    out: &mut dyn Write,
    file: &SourceFile,
    pos: Pos,
    secret: bool,
    secret_before: bool,
) -> io::Result<()> {
    let Some(line) = file.line(pos.line) else {
        return Ok(());
    };
    let column = usize::try_from(pos.col.saturating_sub(1)).unwrap_or(0);
    let view = Window::around(line, column);
    let shown = if secret {
        mask_from(view.text, view.column)
    } else {
        view.text.to_string()
    };
    if pos.line > 1
        && let Some(before) = file.line(pos.line - 1)
    {
        let before = Window::around(before, 0);
        let text = if secret_before {
            mask_line(before.text)
        } else {
            before.text.to_string()
        };
        writeln!(
            out,
            "{:>10} {BLUE}│{BLUE:#} {}",
            pos.line - 1,
            before.decorate(&text)
        )?;
    }
    writeln!(
        out,
        "{:>10} {BLUE}│{BLUE:#} {}",
        pos.line,
        view.decorate(&shown)
    )?;
    let width = token_width(&shown, view.column).max(1);
    // Under the window's leading ellipsis, if any.
    let lead = if view.clipped_start { "   " } else { "" };
    let pad: String = shown
        .chars()
        .take(view.column)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    writeln!(
        out,
        "{:>10} {BLUE}│{BLUE:#} {lead}{pad}{BLUE}{}{BLUE:#}",
        "",
        "^".repeat(width.min(80))
    )
}

/// The part of a line a code frame shows.
pub(crate) struct Window<'l> {
    /// The shown characters.
    pub(crate) text: &'l str,
    /// The marked column within `text`, in characters.
    pub(crate) column: usize,
    /// Characters before `text` were left out.
    pub(crate) clipped_start: bool,
    /// Characters after `text` were left out.
    pub(crate) clipped_end: bool,
}

impl<'l> Window<'l> {
    /// At most this many characters are shown.
    const WIDTH: usize = 160;
    /// Characters kept before the marked column when the line is clipped.
    const LEAD: usize = 40;

    /// The whole line when it is short; otherwise a window that starts a little before
    /// `column` (in characters). Reads the line only up to the window's end.
    pub(crate) fn around(line: &'l str, column: usize) -> Self {
        if line.len() <= Self::WIDTH {
            return Window {
                text: line,
                column,
                clipped_start: false,
                clipped_end: false,
            };
        }
        let first = column.saturating_sub(Self::LEAD);
        let mut from = line.len();
        let mut to = line.len();
        for (n, (i, _)) in line.char_indices().enumerate() {
            if n == first {
                from = i;
            }
            if n == first + Self::WIDTH - 6 {
                to = i;
                break;
            }
        }
        Window {
            text: line.get(from..to).unwrap_or(""),
            column: column - first,
            clipped_start: first > 0,
            clipped_end: to < line.len(),
        }
    }

    /// `text` (the window, possibly masked) with ellipses where the line was clipped.
    pub(crate) fn decorate(&self, text: &str) -> String {
        let lead = if self.clipped_start { "..." } else { "" };
        let tail = if self.clipped_end { "..." } else { "" };
        format!("{lead}{text}{tail}")
    }
}

/// Masks the value of a whole line: after its key (`key: `), after a list dash, or all.
pub(crate) fn mask_line(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let body = line.trim_start();
    let start = if body.starts_with("- ") {
        indent + 2
    } else {
        indent
    };
    mask_from(line, line.get(..start).map_or(0, |p| p.chars().count()))
}

/// Replaces the value that starts at character `start` (or, when a key starts there,
/// the value after its colon) and the rest of the line with a mask.
pub(crate) fn mask_from(line: &str, start: usize) -> String {
    let head: String = line.chars().take(start).collect();
    let rest: String = line.chars().skip(start).collect();
    // A key is a run with no blank or quote, ended by `:` and a blank or the line end.
    let keep = match rest.find(':') {
        Some(i)
            if rest
                .get(..i)
                .is_some_and(|k| !k.contains(char::is_whitespace) && !k.contains(['"', '\'']))
                && rest
                    .get(i + 1..)
                    .is_none_or(|r| r.is_empty() || r.starts_with(' ')) =>
        {
            rest.get(..=i).map_or(0, |k| k.chars().count())
        }
        _ => 0,
    };
    let kept: String = rest.chars().take(keep).collect();
    let sep = if keep > 0 { " " } else { "" };
    format!("{head}{kept}{sep}«redacted»")
}

/// How many characters the token at `start` spans: a quoted string to its closing
/// quote, otherwise up to a comment or the end of the line.
pub(crate) fn token_width(line: &str, start: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(start).collect();
    match rest.first() {
        // A flow map or list (minified JSON): mark its opening bracket only.
        Some('{' | '[') | None => 1,
        Some(&q @ ('"' | '\'')) => rest
            .iter()
            .skip(1)
            .position(|&c| c == q)
            .map_or(rest.len(), |i| i + 2),
        Some(_) => {
            let text: String = rest.iter().collect();
            let end = text.find(" #").unwrap_or(text.len());
            let token = text[..end].trim_end();
            let token = token.strip_suffix(',').unwrap_or(token);
            token.chars().count()
        }
    }
}

/// The six practices with their counts by severity, and a summary line.
fn scorecard(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let card = Scorecard::new(report.findings);
    writeln!(
        out,
        "\n{BOLD}{:<16}{:>9}{:>6}{:>8}{:>6}{:>6}{BOLD:#}",
        "practice", "critical", "high", "medium", "low", "info"
    )?;
    for p in Practice::ALL {
        let counts: Vec<usize> = Severity::ALL.iter().map(|s| card.get(p, *s)).collect();
        let mark = if counts.iter().all(|&c| c == 0) {
            "ok"
        } else {
            ""
        };
        write!(out, "{:<16}", p.title())?;
        for (s, c) in Severity::ALL.iter().zip(&counts) {
            let width = if *s == Severity::Critical {
                9
            } else if *s == Severity::Medium {
                8
            } else {
                6
            };
            if *c > 0 {
                let style = severity_style(*s);
                write!(out, "{style}{c:>width$}{style:#}")?;
            } else {
                write!(out, "{DIM}{c:>width$}{DIM:#}")?;
            }
        }
        writeln!(out, "  {mark}")?;
    }
    let total = report.findings.len();
    let objects = report.inventory.objects.len();
    let files = report.inputs.len();
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.level == InputLevel::Error)
        .count();
    write!(
        out,
        "\n{total} finding{} in {objects} object{} from {files} file{}",
        plural(total),
        plural(objects),
        plural(files)
    )?;
    if report.suppressed > 0 {
        write!(out, ", {} suppressed", report.suppressed)?;
    }
    if report.baselined > 0 {
        write!(out, ", {} in the baseline", report.baselined)?;
    }
    if errors > 0 {
        write!(out, ", {errors} input error{} (see stderr)", plural(errors))?;
    }
    if let Some((v, _)) = report.inventory.facts.version {
        write!(out, "; Kubernetes {v}")?;
    }
    writeln!(out)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Input problems, one line each: `file:line:col: level: message`.
pub fn write_diagnostics(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    write_diagnostics_of(report.diagnostics, out)
}

/// Input problems, one line each, from a list.
pub fn write_diagnostics_of(
    diagnostics: &[rampart_model::InputDiagnostic],
    out: &mut dyn Write,
) -> io::Result<()> {
    for d in diagnostics {
        let (style, word) = match d.level {
            InputLevel::Error => (
                Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
                "error",
            ),
            InputLevel::Warning => (
                Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
                "warning",
            ),
            InputLevel::Skipped => (DIM, "skipped"),
        };
        let at = if d.pos.line > 0 {
            format!("{}:{}:{}", d.path, d.pos.line, d.pos.column)
        } else {
            d.path.clone()
        };
        writeln!(out, "{at}: {style}{word}{style:#}: {}", d.message)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Window, mask_from};

    #[test]
    fn long_lines_show_a_window_around_the_column() {
        let line = format!("{}\"secret\": \"x\"{}", "a".repeat(5000), "b".repeat(5000));
        let view = Window::around(&line, 5000);
        assert!(view.clipped_start && view.clipped_end);
        assert_eq!(view.text.chars().count(), Window::WIDTH - 6);
        assert_eq!(
            view.text.get(view.column..view.column + 8),
            Some("\"secret\"")
        );
        let short = Window::around("  image: nginx", 9);
        assert_eq!((short.text, short.column), ("  image: nginx", 9));
        assert!(!short.clipped_start && !short.clipped_end);
        // A column past the end of the line shows nothing rather than panicking.
        let past = Window::around(&line, 20_000);
        assert_eq!(past.text, "");
    }

    #[test]
    fn masks_values_and_keeps_keys() {
        assert_eq!(
            mask_from("    value: AKIAX  # expect: X", 11),
            "    value: «redacted»"
        );
        assert_eq!(mask_from("    value: |", 4), "    value: «redacted»");
        assert_eq!(
            mask_from("    value: \"a: b\"", 11),
            "    value: «redacted»"
        );
        assert_eq!(mask_from("  url: postgres://u:p@h", 7), "  url: «redacted»");
    }
}
