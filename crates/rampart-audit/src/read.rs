//! Reading audit logs in bounded memory: JSON lines (the log backend's format) or one
//! `EventList` document (the webhook backend's), plain or gzip-compressed.
//!
//! JSON lines are read in batches of whole lines (8 MiB by default) by a reader
//! thread, so decompression and I/O overlap with parsing; each batch is cut at line
//! boundaries into pieces that are parsed in parallel, and the results are handed to
//! the caller's sink in file order. At most a few batches are in memory at once,
//! whatever the size of the file. A line longer than [`ReadOptions::max_line`] is
//! skipped and reported.
//!
//! An `EventList` (or a JSON array of events) is streamed item by item with
//! `serde_json`'s reader API: one event at a time is in memory.

use std::fmt;
use std::io::{self, BufReader, Cursor, Read};
use std::sync::mpsc;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Where an event is in its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Position {
    /// A line of a JSON-lines file (1-based).
    Line(u64),
    /// An item of an `EventList` (0-based, as `items[N]`).
    Item(u64),
    /// The document as a whole (an `EventList` that could not be read).
    Document,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "{n}"),
            Position::Item(n) => write!(f, "items[{n}]"),
            Position::Document => f.write_str("document"),
        }
    }
}

/// Limits of the reader.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Bytes read per batch (rounded to whole lines).
    pub batch: usize,
    /// Bytes per piece parsed by one thread.
    pub piece: usize,
    /// Longest line accepted; longer lines are skipped and reported.
    pub max_line: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            batch: 8 << 20,
            piece: 512 << 10,
            max_line: 64 << 20,
        }
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const PEEK: u64 = 64 << 10;

/// Wraps a byte stream: gzip is detected by its magic bytes (whatever the file name)
/// and decompressed, concatenated members included (`cat a.gz b.gz`).
pub fn decompress<R: Read + Send + 'static>(mut reader: R) -> io::Result<Box<dyn Read + Send>> {
    let mut head = Vec::with_capacity(2);
    (&mut reader).take(2).read_to_end(&mut head)?;
    let gzip = head == GZIP_MAGIC;
    let chained = Cursor::new(head).chain(reader);
    Ok(if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 20,
            chained,
        )))
    } else {
        Box::new(chained)
    })
}

#[derive(serde::Deserialize)]
struct Kind<'a> {
    #[serde(borrow, default)]
    kind: Option<crate::event::Str<'a>>,
}

/// Whether a stream that starts with these bytes is one JSON document (an
/// `EventList` or an array) rather than JSON lines.
fn is_document(peek: &[u8]) -> bool {
    let start = peek.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return false;
    };
    let rest = peek.get(start..).unwrap_or_default();
    if rest.first() == Some(&b'[') {
        return true;
    }
    let line = match memchr::memchr(b'\n', rest) {
        Some(end) => rest.get(..end).unwrap_or_default(),
        None => rest,
    };
    match serde_json::from_slice::<Kind<'_>>(line) {
        Ok(k) => k.kind.is_some_and(|k| k.as_str() == "EventList"),
        // A first line that is only the start of a value: a pretty-printed document.
        Err(e) if e.is_eof() => {
            let head = line.trim_ascii();
            head == b"{" || memchr::memmem::find(line, b"\"EventList\"").is_some()
        }
        Err(_) => false,
    }
}

/// Reads every event of a stream and hands `parse`'s result for each to `sink`, in
/// input order. `parse` runs on several threads; `sink` runs on the caller's.
/// Blank lines are skipped. Returns an error only when the stream cannot be read;
/// events that do not parse are `parse`'s to report.
pub fn for_each_event<T, P, S>(
    reader: Box<dyn Read + Send>,
    options: ReadOptions,
    parse: P,
    mut sink: S,
) -> io::Result<()>
where
    T: Send,
    P: Fn(&[u8], Position) -> T + Sync,
    S: FnMut(Position, Result<T, String>),
{
    let mut reader = reader;
    let mut peek = Vec::new();
    (&mut reader).take(PEEK).read_to_end(&mut peek)?;
    let document = is_document(&peek);
    let reader: Box<dyn Read + Send> = Box::new(Cursor::new(peek).chain(reader));
    if document {
        return read_document(reader, &parse, &mut sink);
    }
    read_lines(reader, options, &parse, &mut sink)
}

/// One batch of whole lines and the number of its first line.
struct Batch {
    first_line: u64,
    data: Vec<u8>,
    /// Lines skipped because they were too long, reported before this batch's lines.
    skipped: Vec<u64>,
}

/// Cuts a stream into batches of whole lines.
struct Batcher {
    reader: Box<dyn Read + Send>,
    options: ReadOptions,
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
}

impl Batcher {
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
        if buf.len() < want && !self.eof {
            // `read_to_end` fills spare capacity without zeroing it first.
            let missing = want - buf.len();
            // Exactly the batch: `read_to_end` would otherwise double the capacity.
            buf.reserve_exact(missing);
            let missing = missing as u64;
            let n = (&mut self.reader).take(missing).read_to_end(buf)?;
            if (n as u64) < missing {
                self.eof = true;
            }
        }
        Ok(())
    }

    fn next(&mut self) -> io::Result<Option<Batch>> {
        let mut skipped = Vec::new();
        let mut buf = std::mem::take(&mut self.carry);
        let mut want = self.options.batch.max(buf.len() + 1);
        loop {
            self.fill(&mut buf, want)?;
            if self.eof {
                if buf.is_empty() && skipped.is_empty() {
                    return Ok(None);
                }
                let batch = Batch {
                    first_line: self.next_line,
                    data: buf,
                    skipped,
                };
                return Ok(Some(batch));
            }
            if let Some(last) = memchr::memrchr(b'\n', &buf) {
                self.carry = buf.get(last + 1..).unwrap_or_default().to_vec();
                buf.truncate(last + 1);
                let first_line = self.next_line;
                self.next_line += memchr::memchr_iter(b'\n', &buf).count() as u64;
                return Ok(Some(Batch {
                    first_line,
                    data: buf,
                    skipped,
                }));
            }
            if buf.len() >= self.options.max_line {
                // One line longer than the limit: drop it up to its newline.
                skipped.push(self.next_line);
                self.next_line += 1;
                buf.clear();
                let mut byte = vec![0u8; 1 << 16];
                loop {
                    let n = self.reader.read(&mut byte)?;
                    if n == 0 {
                        self.eof = true;
                        break;
                    }
                    let chunk = byte.get(..n).unwrap_or_default();
                    if let Some(nl) = memchr::memchr(b'\n', chunk) {
                        buf.extend_from_slice(chunk.get(nl + 1..).unwrap_or_default());
                        break;
                    }
                }
                want = self.options.batch.max(buf.len() + 1);
                continue;
            }
            want = (want * 2).min(self.options.max_line);
        }
    }
}

fn read_lines<T, P, S>(
    reader: Box<dyn Read + Send>,
    options: ReadOptions,
    parse: &P,
    sink: &mut S,
) -> io::Result<()>
where
    T: Send,
    P: Fn(&[u8], Position) -> T + Sync,
    S: FnMut(Position, Result<T, String>),
{
    let mut batcher = Batcher {
        reader,
        options,
        carry: Vec::new(),
        next_line: 1,
        eof: false,
    };
    let max_line = options.max_line;
    std::thread::scope(|scope| {
        // Two batches in flight: one being parsed, one being read.
        let (tx, rx) = mpsc::sync_channel::<io::Result<Batch>>(1);
        scope.spawn(move || {
            loop {
                match batcher.next() {
                    Ok(Some(batch)) => {
                        if tx.send(Ok(batch)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        for batch in rx {
            let batch = batch?;
            for line in &batch.skipped {
                sink(
                    Position::Line(*line),
                    Err(format!("line longer than {} MiB, skipped", max_line >> 20)),
                );
            }
            let pieces = split(&batch.data, options.piece, batch.first_line);
            let parsed: Vec<Vec<(u64, T)>> = pieces
                .par_iter()
                .map(|&(bytes, first)| {
                    let mut out = Vec::new();
                    let ends =
                        memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
                    let mut start = 0;
                    for (line, end) in (first..).zip(ends) {
                        let raw = bytes.get(start..end).unwrap_or_default();
                        start = end + 1;
                        let trimmed = raw.strip_suffix(b"\r").unwrap_or(raw);
                        if !trimmed.iter().all(u8::is_ascii_whitespace) {
                            out.push((line, parse(trimmed, Position::Line(line))));
                        }
                    }
                    out
                })
                .collect();
            for (line, value) in parsed.into_iter().flatten() {
                sink(Position::Line(line), Ok(value));
            }
        }
        Ok(())
    })
}

/// Cuts whole lines into pieces of about `size` bytes, each with its first line number.
fn split(data: &[u8], size: usize, first_line: u64) -> Vec<(&[u8], u64)> {
    let mut pieces = Vec::new();
    let mut rest = data;
    let mut line = first_line;
    while !rest.is_empty() {
        let cut = if rest.len() <= size {
            rest.len()
        } else {
            let from = rest.get(size..).unwrap_or_default();
            memchr::memchr(b'\n', from).map_or(rest.len(), |i| size + i + 1)
        };
        let (piece, tail) = rest.split_at(cut);
        // A piece that ends with a newline would yield one extra empty line.
        let body = piece.strip_suffix(b"\n").unwrap_or(piece);
        pieces.push((body, line));
        line += memchr::memchr_iter(b'\n', piece).count() as u64;
        rest = tail;
    }
    pieces
}

/// Streams the items of `{"kind": "EventList", "items": [...]}` or of `[...]`.
fn read_document<T, P, S>(reader: Box<dyn Read + Send>, parse: &P, sink: &mut S) -> io::Result<()>
where
    P: Fn(&[u8], Position) -> T,
    S: FnMut(Position, Result<T, String>),
{
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, reader));
    let mut count = 0u64;
    let top = Top {
        parse,
        sink: &mut *sink,
        count: &mut count,
    };
    let result = de.deserialize_any(top).and_then(|()| de.end());
    if let Err(e) = result {
        if e.is_io() {
            return Err(io::Error::other(e));
        }
        sink(
            Position::Document,
            Err(format!(
                "not JSON lines nor an EventList: {e} (after {count} items)"
            )),
        );
    }
    Ok(())
}

struct Top<'s, P, S> {
    parse: &'s P,
    sink: &'s mut S,
    count: &'s mut u64,
}

impl<'de, T, P, S> Visitor<'de> for Top<'_, P, S>
where
    P: Fn(&[u8], Position) -> T,
    S: FnMut(Position, Result<T, String>),
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an EventList or an array of events")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(Items {
                    parse: self.parse,
                    sink: &mut *self.sink,
                    count: &mut *self.count,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Items {
            parse: self.parse,
            sink: self.sink,
            count: self.count,
        }
        .visit_seq(seq)
    }
}

struct Items<'s, P, S> {
    parse: &'s P,
    sink: &'s mut S,
    count: &'s mut u64,
}

impl<'de, T, P, S> DeserializeSeed<'de> for Items<'_, P, S>
where
    P: Fn(&[u8], Position) -> T,
    S: FnMut(Position, Result<T, String>),
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, P, S> Visitor<'de> for Items<'_, P, S>
where
    P: Fn(&[u8], Position) -> T,
    S: FnMut(Position, Result<T, String>),
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of events")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let position = Position::Item(*self.count);
            *self.count += 1;
            let value = (self.parse)(raw.get().as_bytes(), position);
            (self.sink)(position, Ok(value));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(bytes: &[u8], options: ReadOptions) -> Vec<(Position, Result<String, String>)> {
        let mut out = Vec::new();
        let reader = decompress(Cursor::new(bytes.to_vec())).unwrap();
        for_each_event(
            reader,
            options,
            |b, _| String::from_utf8_lossy(b).into_owned(),
            |p, r| out.push((p, r)),
        )
        .unwrap();
        out
    }

    #[test]
    fn lines_keep_their_numbers_across_batches_and_pieces() {
        let text = (1..=1000).fold(String::new(), |mut s, i| {
            s.push_str(&["{\"n\":", &i.to_string(), "}\n\n"].concat());
            s
        });
        let small = ReadOptions {
            batch: 100,
            piece: 30,
            max_line: 1 << 20,
        };
        for options in [small, ReadOptions::default()] {
            let got = collect(text.as_bytes(), options);
            assert_eq!(got.len(), 1000);
            for (i, (pos, value)) in got.iter().enumerate() {
                let n = i as u64;
                assert_eq!(*pos, Position::Line(2 * n + 1));
                assert_eq!(value.as_deref().unwrap(), format!("{{\"n\":{}}}", n + 1));
            }
        }
    }

    #[test]
    fn overlong_lines_are_skipped_and_reported() {
        let text = format!("{{\"a\":1}}\n{}\n{{\"b\":2}}\n", "x".repeat(5000));
        let options = ReadOptions {
            batch: 64,
            piece: 16,
            max_line: 1024,
        };
        let got = collect(text.as_bytes(), options);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].0, Position::Line(2));
        assert!(got[1].1.is_err());
        assert_eq!(got[2], (Position::Line(3), Ok("{\"b\":2}".to_string())));
    }

    #[test]
    fn event_lists_and_arrays_stream_their_items() {
        let list = b"{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"items\": [{\"a\": 1}, {\"b\": 2}]\n}\n";
        let got = collect(list, ReadOptions::default());
        assert_eq!(
            got,
            vec![
                (Position::Item(0), Ok("{\"a\": 1}".to_string())),
                (Position::Item(1), Ok("{\"b\": 2}".to_string()))
            ]
        );
        let one_line = br#"{"kind":"EventList","items":[{"a":1}]}"#;
        assert_eq!(collect(one_line, ReadOptions::default()).len(), 1);
        assert_eq!(
            collect(b"[{\"a\":1},{\"b\":2}]", ReadOptions::default()).len(),
            2
        );
        let broken = collect(
            b"{\"kind\":\"EventList\",\"items\":[{\"a\":1},",
            ReadOptions::default(),
        );
        assert_eq!(broken.len(), 2);
        assert_eq!(broken[1].0, Position::Document);
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"a\":1}\n{\"b\":2}\n").unwrap();
        let mut bytes = gz.finish().unwrap();
        // A second member, as `cat a.gz b.gz` makes.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"c\":3}\n").unwrap();
        bytes.extend(gz.finish().unwrap());
        let got = collect(&bytes, ReadOptions::default());
        assert_eq!(got.len(), 3);
        assert_eq!(got[2], (Position::Line(3), Ok("{\"c\":3}".to_string())));
    }
}
