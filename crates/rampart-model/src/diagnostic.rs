//! Problems with the input itself (not findings about the cluster).

use crate::node::Pos;
use crate::object::FileId;

/// How bad an input problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputLevel {
    /// Input that could not be read, or that has a wrong type where Rampart reads; the
    /// run exits 2.
    Error,
    /// Input that was read, with a doubt (a duplicate key, say).
    Warning,
    /// Input passed over on purpose (YAML that is not a Kubernetes object).
    Skipped,
}

/// A problem with the input, with its location.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputDiagnostic {
    /// How bad it is.
    pub level: InputLevel,
    /// The file, if the problem is inside one.
    #[serde(skip)]
    pub file: Option<FileId>,
    /// The file's display name (or the path that could not be read).
    pub path: String,
    /// Where in the file.
    #[serde(flatten)]
    pub pos: PosOut,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

/// A position as written to output (omitted when unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PosOut {
    /// 1-based line.
    #[serde(skip_serializing_if = "is_zero")]
    pub line: u32,
    /// 1-based column.
    #[serde(skip_serializing_if = "is_zero")]
    pub column: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl From<Pos> for PosOut {
    fn from(p: Pos) -> Self {
        PosOut {
            line: p.line,
            column: p.col,
        }
    }
}

impl InputDiagnostic {
    /// An input error at a position of a file.
    pub fn error(file: Option<FileId>, path: &str, pos: Pos, message: impl Into<String>) -> Self {
        Self::new(InputLevel::Error, file, path, pos, message)
    }

    /// A diagnostic of any level.
    pub fn new(
        level: InputLevel,
        file: Option<FileId>,
        path: &str,
        pos: Pos,
        message: impl Into<String>,
    ) -> Self {
        InputDiagnostic {
            level,
            file,
            path: path.to_string(),
            pos: pos.into(),
            message: message.into(),
        }
    }
}
