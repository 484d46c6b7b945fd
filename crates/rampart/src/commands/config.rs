//! Finding and reading `rampart.yaml`, and what the scan needs from it that depends on
//! the filesystem and the clock.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, bail};
use rampart_model::{FileId, Files, InputLevel, Pos};
use rampart_rules::config::{self, Config, ConfigError, FILE_NAMES};
use rampart_rules::suppress::Date;

/// A config and where it was read from.
pub(crate) struct Loaded {
    pub(crate) config: Config,
    /// The directory `exclude.paths` are relative to (absolute).
    pub(crate) dir: PathBuf,
}

/// The config for a scan: `--config FILE`, none with `--no-config`, else the first
/// `rampart.yaml` or `.rampart.yaml` from the first path's directory up to the root.
pub(crate) fn load(
    explicit: Option<&Path>,
    disabled: bool,
    first_path: Option<&Path>,
) -> anyhow::Result<Option<Loaded>> {
    let path = match (explicit, disabled) {
        (_, true) => return Ok(None),
        (Some(p), false) => p.to_path_buf(),
        (None, false) => match discover(first_path) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading config {}", path.display()))?;
    let name = display(&path);
    let config = parse(&name, &text).map_err(|errors| {
        let mut message = format!(
            "invalid config {name} ({} error{}):",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        for e in &errors {
            let _ = if e.pos.is_known() {
                write!(message, "\n  {name}:{}: {}", e.pos, e.message)
            } else {
                write!(message, "\n  {name}: {}", e.message)
            };
        }
        anyhow::anyhow!(message)
    })?;
    let absolute = std::path::absolute(&path).unwrap_or(path);
    let dir = absolute
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    Ok(Some(Loaded { config, dir }))
}

/// Reads a config's text with Rampart's own loader, then validates it.
fn parse(name: &str, text: &str) -> Result<Config, Vec<ConfigError>> {
    let tree = rampart_source::parse_tree(name, text);
    let mut errors: Vec<ConfigError> = tree
        .diagnostics
        .iter()
        .filter(|d| matches!(d.level, InputLevel::Error | InputLevel::Warning))
        .map(|d| ConfigError {
            pos: Pos::new(d.pos.line, d.pos.column),
            message: d.message.clone(),
        })
        .collect();
    let mut documents = tree.documents.iter().filter(|d| d.is_some());
    let root = documents.next().and_then(Option::as_ref);
    if let Some(second) = documents.next().and_then(Option::as_ref) {
        errors.push(ConfigError {
            pos: second.pos,
            message: "a config file holds one YAML document".into(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    config::parse(root, name)
}

/// The first config file from `start`'s directory (the current one for stdin) up.
fn discover(start: Option<&Path>) -> Option<PathBuf> {
    let start = match start {
        Some(p) if p.as_os_str() != "-" => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let absolute = std::path::absolute(&start).ok()?;
    let mut dir = if absolute.is_dir() {
        Some(absolute.as_path())
    } else {
        absolute.parent()
    };
    while let Some(d) = dir {
        for name in FILE_NAMES {
            let candidate = d.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        dir = d.parent();
    }
    None
}

/// A path as the user would write it: relative to the current directory when under it.
fn display(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let absolute = std::path::absolute(path).ok();
    match (cwd, absolute) {
        (Some(cwd), Some(abs)) => abs.strip_prefix(&cwd).map_or_else(
            |_| path.display().to_string(),
            |rel| rel.display().to_string(),
        ),
        _ => path.display().to_string(),
    }
}

/// Resolves `.` and `..` without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The input files that `exclude.paths` names.
pub(crate) fn excluded_files(loaded: &Loaded, files: &Files) -> Vec<FileId> {
    if loaded.config.exclude_paths.is_empty() {
        return Vec::new();
    }
    let dir = normalize(&loaded.dir);
    files
        .iter()
        .filter(|(_, f)| {
            let Ok(abs) = std::path::absolute(Path::new(&f.name)) else {
                return false;
            };
            let abs = normalize(&abs);
            abs.strip_prefix(&dir).is_ok_and(|rel| {
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                loaded.config.excludes_path(&rel.join("/"))
            })
        })
        .map(|(id, _)| id)
        .collect()
}

/// Today, for suppression expiry: `RAMPART_TODAY=YYYY-MM-DD` when set (tests,
/// reproducible runs), else the system clock's date in UTC.
pub(crate) fn today() -> anyhow::Result<Date> {
    if let Ok(text) = std::env::var("RAMPART_TODAY") {
        let Some(date) = Date::parse(&text) else {
            bail!("RAMPART_TODAY is `{text}`, expected a date like 2027-03-31");
        };
        return Ok(date);
    }
    let stamp = rampart_report::Timestamp::now().iso8601();
    stamp
        .get(..10)
        .and_then(Date::parse)
        .with_context(|| format!("the system clock gives `{stamp}`"))
}
