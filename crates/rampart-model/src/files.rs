//! The texts that objects were read from, for code frames and line lookups.

use crate::object::FileId;

/// One input text: a file, stdin or a rendered kustomization.
#[derive(Debug)]
pub struct SourceFile {
    /// The name shown to users (a path relative to where Rampart was started, `-` for stdin).
    pub name: String,
    /// The text. Invalid UTF-8 sequences were replaced with U+FFFD (and reported).
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Creates a file and indexes its line starts.
    pub fn new(name: String, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name,
            text,
            line_starts,
        }
    }

    /// Byte offsets at which lines start.
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .map(|l| l.trim_end_matches(['\n', '\r']))
    }

    /// The byte offset of a 1-based line and 1-based character column.
    pub fn offset(&self, line: u32, col: u32) -> Option<usize> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let text = self.line(line)?;
        let chars = usize::try_from(col.saturating_sub(1)).ok()?;
        let within = text
            .char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| i);
        Some(start + within)
    }
}

/// Every text of a run, indexed by [`FileId`].
#[derive(Debug, Default)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    /// Makes room for `additional` more files.
    pub fn reserve(&mut self, additional: usize) {
        self.files.reserve_exact(additional);
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The display name of a file (`?` for an unknown id).
    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("?", |f| f.name.as_str())
    }

    /// Takes the files out, with their ids.
    pub fn into_files(self) -> impl Iterator<Item = (FileId, SourceFile)> {
        (0u32..).zip(self.files).map(|(i, f)| (FileId(i), f))
    }

    /// All files with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        (0u32..).zip(&self.files).map(|(i, f)| (FileId(i), f))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
