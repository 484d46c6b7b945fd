//! JSON to [`Node`] trees with positions.
//!
//! serde_json gives no positions, and a finding in a 100 MB `kubectl get -o json` dump
//! should still say which line. This is a small strict JSON (RFC 8259) reader that
//! records the line and column of every key and value. Several top-level values in one
//! text (a JSON stream) are read one after another.

use rampart_model::{Entry, Map, Node, Pos, Value};

use crate::yaml::MAX_DEPTH;

/// A JSON syntax error with its position.
#[derive(Debug)]
pub(crate) struct JsonError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

/// Reads every top-level value of `text`. On a syntax error, the values read before it
/// are returned with the error.
pub(crate) fn parse_stream(text: &str) -> (Vec<Node>, Option<JsonError>) {
    if text.len() >= PARALLEL_MIN_BYTES
        && let Some(root) = parse_list_in_parallel(text)
    {
        return (vec![root], None);
    }
    let mut reader = Reader::at(
        text,
        At {
            line: 1,
            ..At::default()
        },
    );
    let mut values = Vec::new();
    loop {
        reader.skip_ws();
        if reader.i >= reader.bytes.len() {
            return (values, None);
        }
        match reader.value(0) {
            Ok(v) => values.push(v),
            Err(e) => return (values, Some(e)),
        }
    }
}

/// Texts at least this large that hold one object with an `items` array (a `List`, as
/// `kubectl get -o json` writes) have their items parsed in parallel.
const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// Parses `{..., "items": [...], ...}` with the items on every core. A structural
/// pre-scan (strings skipped, depth counted, line state tracked) finds each item's
/// bytes; items parse in parallel; the root is then read with the items spliced in.
/// `None` when the text is not of that shape or anything fails, so the caller's
/// sequential read reports the exact error.
fn parse_list_in_parallel(text: &str) -> Option<Node> {
    use rayon::prelude::*;
    let (open, close, items) = scan_items(text)?;
    let parsed: Vec<Option<Node>> = items
        .par_iter()
        .map(|&(start, end)| {
            let mut r = Reader::at(text, start);
            let node = r.value(0).ok()?;
            // `end` excludes trailing blanks: the item must end exactly there.
            (r.i == end).then_some(node)
        })
        .collect();
    let items: Vec<Node> = parsed.into_iter().collect::<Option<_>>()?;
    let mut root_reader = Reader::at(
        text,
        At {
            line: 1,
            ..At::default()
        },
    );
    root_reader.splice = Some(Splice { open, close, items });
    let root = root_reader.value(0).ok()?;
    root_reader.skip_ws();
    (root_reader.i == text.len() && root_reader.splice.is_none()).then_some(root)
}

/// The `[` of an items array, just past its `]`, and each item's start and end.
type ItemsLayout = (At, At, Vec<(At, usize)>);

/// Finds the top-level `items` array: its `[`, just past its `]`, and each element's
/// start (with line state) and end offset.
fn scan_items(text: &str) -> Option<ItemsLayout> {
    let b = text.as_bytes();
    let mut at = At {
        line: 1,
        ..At::default()
    };
    let mut depth = 0usize;
    let mut in_items = false;
    let mut open = None;
    let mut items: Vec<(At, usize)> = Vec::new();
    let mut element: Option<At> = None;
    let mut last_key_is_items = false;
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' => {
                at.line += 1;
                at.line_start = i + 1;
                at.cont = 0;
            }
            b'"' => {
                // Skip the string; note whether it is the `items` key at depth 1.
                let start = i + 1;
                i += 1;
                loop {
                    match b.get(i)? {
                        b'"' => break,
                        b'\\' => i += 2,
                        &x => {
                            if x & 0xC0 == 0x80 {
                                at.cont += 1;
                            }
                            i += 1;
                        }
                    }
                }
                last_key_is_items = depth == 1 && b.get(start..i) == Some(b"items".as_slice());
                if in_items && depth == 2 && element.is_none() {
                    element = Some(At { i: start - 1, ..at });
                }
            }
            b'{' | b'[' => {
                if in_items && depth == 2 && element.is_none() {
                    element = Some(At { i, ..at });
                }
                depth += 1;
                if c == b'[' && depth == 2 && last_key_is_items && open.is_none() {
                    in_items = true;
                    open = Some(At { i, ..at });
                }
            }
            b'}' | b']' => {
                if in_items && depth == 2 {
                    // The `]` of the items array.
                    if let Some(e) = element.take() {
                        items.push((e, trim_end(b, i)));
                    }
                    let close = At { i: i + 1, ..at };
                    return Some((open?, close, items));
                }
                depth = depth.checked_sub(1)?;
            }
            b',' if in_items && depth == 2 => {
                items.push((element.take()?, trim_end(b, i)));
            }
            b' ' | b'\t' | b'\r' | b':' | b',' => {}
            _ => {
                if in_items && depth == 2 && element.is_none() {
                    element = Some(At { i, ..at });
                }
            }
        }
        i += 1;
    }
    None
}

fn trim_end(b: &[u8], mut end: usize) -> usize {
    while end > 0 && b.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
        end -= 1;
    }
    end
}

/// A container being read.
enum Open {
    Seq {
        pos: Pos,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        entries: Vec<Entry>,
        key: (String, Pos),
    },
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
    /// UTF-8 continuation bytes seen on this line, so columns count characters.
    cont: usize,
    /// An array parsed elsewhere (in parallel), to be taken as is when reached.
    splice: Option<Splice>,
}

/// Where a reader stands: byte offset and the line state there.
#[derive(Clone, Copy, Debug, Default)]
struct At {
    i: usize,
    line: u32,
    line_start: usize,
    cont: usize,
}

struct Splice {
    /// The `[` of the array.
    open: At,
    /// Just past its `]`.
    close: At,
    items: Vec<Node>,
}

impl<'a> Reader<'a> {
    fn at(text: &'a str, at: At) -> Self {
        Reader {
            text,
            bytes: text.as_bytes(),
            i: at.i,
            line: at.line,
            line_start: at.line_start,
            cont: at.cont,
            splice: None,
        }
    }
}

impl Reader<'_> {
    fn pos(&self) -> Pos {
        let col = self
            .i
            .saturating_sub(self.line_start)
            .saturating_sub(self.cont)
            + 1;
        Pos::new(self.line, u32::try_from(col).unwrap_or(u32::MAX))
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, JsonError> {
        Err(JsonError {
            pos: self.pos(),
            message: format!("invalid JSON: {}", message.into()),
        })
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.i) {
            match b {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                    self.cont = 0;
                }
                _ => break,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            self.err(format!("expected `{}`{}", b as char, self.found()))
        }
    }

    fn found(&self) -> String {
        match self.text.get(self.i..).and_then(|s| s.chars().next()) {
            Some(c) => format!(", found `{}`", c.escape_debug()),
            None => ", found the end of the input".to_string(),
        }
    }

    fn key(&mut self) -> Result<(String, Pos), JsonError> {
        self.skip_ws();
        let key_pos = self.pos();
        if self.peek() != Some(b'"') {
            return self.err(format!("expected a string key{}", self.found()));
        }
        let key = self.string()?;
        self.skip_ws();
        self.expect(b':')?;
        Ok((key, key_pos))
    }

    /// Reads one value. Iterative, with an explicit stack, so nesting costs heap and
    /// not the thread's stack.
    fn value(&mut self, _depth: usize) -> Result<Node, JsonError> {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            self.skip_ws();
            let pos = self.pos();
            if let Some(splice) = self.splice.take_if(|s| s.open.i == self.i) {
                let close = splice.close;
                (self.i, self.line, self.line_start, self.cont) =
                    (close.i, close.line, close.line_start, close.cont);
                let node = Node {
                    pos,
                    value: Value::Seq(splice.items.into()),
                };
                if let Some(done) = self.attach(&mut stack, node)? {
                    return Ok(done);
                }
                continue;
            }
            let value = match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if stack.len() >= MAX_DEPTH {
                        return self.err(format!("nesting deeper than {MAX_DEPTH} levels"));
                    }
                    self.i += 1;
                    self.skip_ws();
                    if open == b'{' {
                        if self.peek() == Some(b'}') {
                            self.i += 1;
                            Value::Map(Map::default())
                        } else {
                            let key = self.key()?;
                            stack.push(Open::Map {
                                pos,
                                entries: Vec::new(),
                                key,
                            });
                            continue;
                        }
                    } else if self.peek() == Some(b']') {
                        self.i += 1;
                        Value::Seq(Vec::new().into())
                    } else {
                        stack.push(Open::Seq {
                            pos,
                            items: Vec::new(),
                        });
                        continue;
                    }
                }
                Some(b'"') => Value::Str(rampart_model::intern(&self.string()?)),
                Some(b't') => self.literal("true", Value::Bool(true))?,
                Some(b'f') => self.literal("false", Value::Bool(false))?,
                Some(b'n') => self.literal("null", Value::Null)?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => return self.err(format!("expected a value{}", self.found())),
            };
            let node = Node { pos, value };
            if let Some(done) = self.attach(&mut stack, node)? {
                return Ok(done);
            }
        }
    }

    /// Attaches a finished node to the open container, closing every container that
    /// ends here. Returns the root when the outermost value is complete; `None` means
    /// the next value is due.
    fn attach(&mut self, stack: &mut Vec<Open>, node: Node) -> Result<Option<Node>, JsonError> {
        let mut node = node;
        loop {
            match stack.last_mut() {
                None => return Ok(Some(node)),
                Some(Open::Seq { items, .. }) => {
                    items.push(node);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => {
                            self.i += 1;
                            return Ok(None);
                        }
                        Some(b']') => {
                            self.i += 1;
                            let Some(Open::Seq { pos, items }) = stack.pop() else {
                                unreachable!()
                            };
                            node = Node {
                                pos,
                                value: Value::Seq(items.into()),
                            };
                        }
                        _ => return self.err(format!("expected `,` or `]`{}", self.found())),
                    }
                }
                Some(Open::Map { entries, key, .. }) => {
                    let (k, key_pos) = std::mem::take(key);
                    // Later duplicates win, as encoding/json does.
                    let existing = if entries.len() < 64 {
                        entries.iter_mut().find(|e| *e.key == *k)
                    } else {
                        None
                    };
                    if let Some(e) = existing {
                        e.value = node;
                        e.key_pos = key_pos;
                    } else {
                        entries.push(Entry {
                            key: rampart_model::intern(&k),
                            key_pos,
                            value: node,
                        });
                    }
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => {
                            self.i += 1;
                            let next = self.key()?;
                            if let Some(Open::Map { key, .. }) = stack.last_mut() {
                                *key = next;
                            }
                            return Ok(None);
                        }
                        Some(b'}') => {
                            self.i += 1;
                            let Some(Open::Map { pos, entries, .. }) = stack.pop() else {
                                unreachable!()
                            };
                            node = Node {
                                pos,
                                value: Value::Map(Map::from_entries(entries)),
                            };
                        }
                        _ => return self.err(format!("expected `,` or `}}`{}", self.found())),
                    }
                }
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, JsonError> {
        if self
            .bytes
            .get(self.i..)
            .is_some_and(|b| b.starts_with(word.as_bytes()))
        {
            self.i += word.len();
            Ok(value)
        } else {
            self.err(format!("expected `{word}`{}", self.found()))
        }
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.i;
        let digits = |r: &mut Self| {
            let s = r.i;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.i += 1;
            }
            r.i - s
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        if digits(self) == 0 {
            return self.err("expected a digit");
        }
        if self.bytes.get(int_start) == Some(&b'0') && self.i - int_start > 1 {
            return self.err("leading zeros are not allowed in JSON numbers");
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            float = true;
            if digits(self) == 0 {
                return self.err("expected a digit after `.`");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err("expected a digit in the exponent");
            }
        }
        let text = &self.text[start..self.i];
        if !float && let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        match text.parse::<f64>() {
            Ok(f) => Ok(Value::Float(f)),
            Err(_) => self.err("number out of range"),
        }
    }

    /// Reads a string starting at the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let start = self.i;
        // Fast path: no escapes.
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = self.text[start..self.i].to_string();
                    self.i += 1;
                    return Ok(s);
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => return self.err("control character in a string"),
                Some(b) => {
                    if b & 0xC0 == 0x80 {
                        self.cont += 1;
                    }
                    self.i += 1;
                }
                None => return self.err("unterminated string"),
            }
        }
        let mut out = self.text[start..self.i].to_string();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self
                                    .bytes
                                    .get(self.i..)
                                    .is_some_and(|b| b.starts_with(b"\\u"))
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    0xFFFD
                                }
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                            continue;
                        }
                        _ => return self.err("invalid escape in a string"),
                    };
                    self.i += 1;
                    out.push(c);
                }
                Some(b) if b < 0x20 => return self.err("control character in a string"),
                Some(_) => {
                    let rest = &self.text[self.i..];
                    let end = rest.find(['"', '\\']).unwrap_or(rest.len());
                    let chunk = &rest[..end];
                    if let Some(p) = chunk.bytes().position(|b| b < 0x20) {
                        self.i += p;
                        return self.err("control character in a string");
                    }
                    self.cont += chunk.bytes().filter(|b| b & 0xC0 == 0x80).count();
                    out.push_str(chunk);
                    self.i += end;
                }
                None => return self.err("unterminated string"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let Some(hex) = self.text.get(self.i..self.i + 4) else {
            return self.err("short \\u escape");
        };
        let Ok(v) = u32::from_str_radix(hex, 16) else {
            return self.err("invalid \\u escape");
        };
        self.i += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_positions() {
        let (v, err) = parse_stream(
            "{\n  \"kind\": \"Pod\",\n  \"n\": [1, -2.5e1, true, null, \"\\u00e9\\ud83d\\ude00\"]\n}",
        );
        assert!(err.is_none());
        let n = &v[0];
        assert_eq!(n.entry("kind").unwrap().key_pos, Pos::new(2, 3));
        assert_eq!(n.get("kind").unwrap().pos, Pos::new(2, 11));
        let list = n.get("n").unwrap().as_seq().unwrap();
        assert_eq!(list[0].as_i64(), Some(1));
        assert_eq!(list[1].value, Value::Float(-25.0));
        assert_eq!(list[4].as_str(), Some("é😀"));
    }

    #[test]
    fn columns_count_characters() {
        let (v, _) = parse_stream("{\"a\": \"ééé\", \"b\": 1}");
        assert_eq!(v[0].entry("b").unwrap().key_pos, Pos::new(1, 14));
    }

    #[test]
    fn errors_have_positions() {
        let (_, err) = parse_stream("{\n  \"a\": tru\n}");
        assert_eq!(err.unwrap().pos, Pos::new(2, 8));
        let (_, err) = parse_stream(&"[".repeat(5000));
        assert!(err.unwrap().message.contains("nesting"));
    }

    #[test]
    fn big_lists_parse_in_parallel_with_the_same_result() {
        let item = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"é\\\"]\"}, \"data\": {\"a\": [1, {\"b\": \"x,y\"}]}}";
        let items: Vec<String> = (0..40_000).map(|_| item.to_string()).collect();
        let text = format!(
            "{{\"apiVersion\": \"v1\",\n \"items\": [\n  {}\n ],\n \"kind\": \"List\"}}\n",
            items.join(",\n  ")
        );
        assert!(text.len() > PARALLEL_MIN_BYTES);
        let parallel = parse_list_in_parallel(&text).expect("takes the parallel path");
        let mut sequential = Reader::at(
            &text,
            At {
                line: 1,
                ..At::default()
            },
        );
        let sequential = sequential.value(0).unwrap();
        assert_eq!(parallel, sequential);
        let last = &parallel.get("items").unwrap().as_seq().unwrap()[39_999];
        assert_eq!(last.pos, Pos::new(40_002, 3));
        assert_eq!(parallel.entry("kind").unwrap().key_pos, Pos::new(40_004, 2));
        // A broken item falls back to the sequential reader and its exact error.
        let broken = text.replacen("\"x,y\"", "x,y", 1);
        assert!(parse_list_in_parallel(&broken).is_none());
        assert!(parse_stream(&broken).1.is_some());
    }

    #[test]
    fn streams_of_values() {
        let (v, err) = parse_stream("{\"a\":1}\n{\"a\":2}\n");
        assert!(err.is_none());
        assert_eq!(v.len(), 2);
    }
}
