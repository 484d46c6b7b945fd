//! Splitting a YAML stream at document markers, so documents parse in parallel and a
//! broken one does not take its neighbours with it.
//!
//! A line that starts with `---` followed by a space, a tab or the end of the line
//! starts a document. The YAML spec forbids such a line inside any content (block
//! scalars and quoted strings included), so the split is exact.

/// One document's text and the line (0-based) it starts on in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk<'a> {
    pub(crate) text: &'a str,
    pub(crate) first_line: u32,
}

fn is_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Splits `text` into document chunks. Text before the first marker is a chunk of its
/// own only when it holds more than blank lines, comments and directives.
pub(crate) fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    for (line_no, line) in (0u32..).zip(text.split_inclusive('\n')) {
        if is_marker(line) && offset > start {
            chunks.push(Chunk {
                text: &text[start..offset],
                first_line: start_line,
            });
            start = offset;
            start_line = line_no;
        }
        offset += line.len();
    }
    if offset > start || chunks.is_empty() {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
        });
    }
    // Leading comments or directives before the first `---` are not a document.
    if chunks.len() > 1 && chunks.first().is_some_and(|c| !has_content(c.text)) {
        chunks.remove(0);
    }
    chunks
}

/// Whether a chunk holds anything but blank lines, comments, directives and markers.
pub(crate) fn has_content(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim();
        !(t.is_empty()
            || t.starts_with('#')
            || t.starts_with('%')
            || t == "..."
            || is_marker(t) && t[3..].trim_start().starts_with('#')
            || t == "---")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_markers_only() {
        let text = "# head\n---\na: 1\n---\nb: |\n  ---x\n--- # c\nc: 3\n---- not a marker\n";
        let chunks = split_documents(text);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].first_line, 1);
        assert_eq!(chunks[1].first_line, 3);
        assert_eq!(chunks[2].first_line, 6);
        assert!(chunks[2].text.contains("---- not a marker"));
    }

    #[test]
    fn no_markers_is_one_chunk() {
        assert_eq!(split_documents("a: 1\n").len(), 1);
        assert_eq!(split_documents("").len(), 1);
    }
}
