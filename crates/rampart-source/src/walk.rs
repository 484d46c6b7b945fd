//! Turning path arguments into texts: directory walks, stdin and kustomizations.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use rampart_model::{InputDiagnostic, Pos};

use crate::LoadOptions;

/// One thing to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file or a directory.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

/// A file to read, or a kustomization to render.
#[derive(Debug)]
pub(crate) enum Source {
    File(PathBuf),
    Stdin,
    Kustomize(PathBuf),
}

const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn is_manifest(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["yaml", "yml", "json"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// Expands inputs into sources, in a stable order (directory entries sorted by name).
pub(crate) fn expand(inputs: &[Input]) -> (Vec<Source>, Vec<InputDiagnostic>) {
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    for input in inputs {
        match input {
            Input::Stdin => sources.push(Source::Stdin),
            Input::Path(p) if p.is_dir() => walk_dir(p, &mut sources, &mut diagnostics),
            // A file named explicitly is read whatever its extension.
            Input::Path(p) if p.exists() => sources.push(Source::File(p.clone())),
            Input::Path(p) => diagnostics.push(InputDiagnostic::error(
                None,
                &display(p),
                Pos::UNKNOWN,
                "no such file or directory",
            )),
        }
    }
    (sources, diagnostics)
}

fn walk_dir(dir: &Path, sources: &mut Vec<Source>, diagnostics: &mut Vec<InputDiagnostic>) {
    if KUSTOMIZATION_NAMES.iter().any(|n| dir.join(n).is_file()) {
        sources.push(Source::Kustomize(dir.to_path_buf()));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diagnostics.push(InputDiagnostic::error(
                None,
                &display(dir),
                Pos::UNKNOWN,
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if is_hidden(&path) {
            continue;
        }
        // Do not follow symlinked directories: a link loop would never end.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk_dir(&path, sources, diagnostics);
        } else if is_manifest(&path) && (kind.is_file() || path.is_file()) {
            sources.push(Source::File(path));
        }
    }
}

/// Reads a source: its display name, bytes and whether it is JSON by its name.
pub(crate) fn read(
    source: &Source,
    options: &LoadOptions,
) -> Result<(String, Vec<u8>, bool), InputDiagnostic> {
    match source {
        Source::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(options.max_file_bytes + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    InputDiagnostic::error(
                        None,
                        "-",
                        Pos::UNKNOWN,
                        format!("cannot read stdin: {e}"),
                    )
                })?;
            if bytes.len() as u64 > options.max_file_bytes {
                return Err(too_big("-", options));
            }
            Ok(("-".to_string(), bytes, false))
        }
        Source::File(path) => {
            let name = display(path);
            let err = |e: std::io::Error| {
                InputDiagnostic::error(None, &name, Pos::UNKNOWN, format!("cannot read file: {e}"))
            };
            let size = std::fs::metadata(path).map_err(err)?.len();
            if size > options.max_file_bytes {
                return Err(too_big(&name, options));
            }
            let bytes = std::fs::read(path).map_err(err)?;
            let json = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            Ok((name, bytes, json))
        }
        Source::Kustomize(dir) => {
            let name = format!("{} (kubectl kustomize)", display(dir));
            let output = Command::new("kubectl").arg("kustomize").arg(dir).output().map_err(|e| {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "this folder has a kustomization, and rendering it needs `kubectl`, which is not installed; install kubectl or pipe `kustomize build` into `rampart scan -`".to_string()
                } else {
                    format!("cannot run `kubectl kustomize`: {e}")
                };
                InputDiagnostic::error(None, &display(dir), Pos::UNKNOWN, why)
            })?;
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let first = stderr.lines().next().unwrap_or("unknown error").trim();
                return Err(InputDiagnostic::error(
                    None,
                    &display(dir),
                    Pos::UNKNOWN,
                    format!("`kubectl kustomize` failed: {first}"),
                ));
            }
            Ok((name, output.stdout, false))
        }
    }
}

fn too_big(name: &str, options: &LoadOptions) -> InputDiagnostic {
    InputDiagnostic::error(
        None,
        name,
        Pos::UNKNOWN,
        format!(
            "larger than the limit of {} MiB; not read (raise --max-file-size)",
            options.max_file_bytes / (1024 * 1024)
        ),
    )
}
