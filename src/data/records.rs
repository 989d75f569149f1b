//! CSV records, one per physical line: the reader under every data file.
//!
//! The data contract says a record never spans lines, so the reader finds
//! the lines first (each ends in LF or CRLF) and parses each one as a
//! record with `csv_core`. What would make a record span lines is an error
//! of that line alone, and the next line is read as the next record:
//! - a quote still open at the end of the line (a quoted field holding a
//!   line break, or an unclosed quote that would swallow the rest of the file);
//! - a carriage return that does not end the line (a line break to some
//!   programs, not to others);
//! - a line longer than [`MAX_LINE`] bytes.
//!
//! Every physical line is counted as it is found, so each one is the
//! header, a record or a blank line (skipped, and counted): see
//! [`LineCount`]. A file can therefore also be cut at any line start and
//! each part read on its own.
//!
//! Reading stays one pass over a large buffer: `memchr2` finds each line
//! end, and a record's fields are written into one [`Record`] reused for
//! every line — nothing is allocated per row.

use super::{DataError, Input};
use csv_core::ReadRecordResult;
use std::io::Read;

/// The longest line a record may have, in bytes, not counting its line end.
pub const MAX_LINE: usize = 64 * 1024;

/// How much is read at a time; far more than a line may hold.
const BUFFER: usize = 1 << 20;

/// One record: the bytes of its fields (unquoted) and where each ends.
#[derive(Debug, Clone)]
pub struct Record {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
    /// The record's line in the file (1-based; the header is line 1 unless
    /// blank lines come before it).
    pub line: u64,
}

impl Default for Record {
    fn default() -> Record {
        Record {
            bytes: vec![0; 1024],
            ends: vec![0; 32],
            len: 0,
            line: 0,
        }
    }
}

impl Record {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let start = match i.checked_sub(1) {
            None => 0,
            Some(j) => *self.ends.get(j)?,
        };
        self.bytes.get(start..*self.ends.get(i)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len).map(|i| self.get(i).unwrap_or(b""))
    }

    /// The fields as text (invalid UTF-8 replaced), for a reject file.
    pub fn to_strings(&self) -> Vec<String> {
        self.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }
}

/// Why a line is not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// A quote opened in this field (0-based) is still open at the line's end.
    OpenQuote(usize),
    /// A carriage return that does not end the line.
    CarriageReturn,
    /// Longer than [`MAX_LINE`] bytes.
    TooLong,
}

impl LineError {
    /// Why the line was rejected, naming a field by its column in `columns`.
    pub fn reason(self, columns: &[String]) -> String {
        match self {
            LineError::OpenQuote(i) => {
                let field = columns
                    .get(i)
                    .map_or_else(|| format!("field {}", i + 1), |c| super::escape(c));
                format!("a quote opened in {field} is not closed on this line: a record never spans lines, so a quoted field cannot hold a line break")
            }
            LineError::CarriageReturn => "a carriage return (`\\r`) inside the line: a record never spans lines, and lines end in LF or CRLF".into(),
            LineError::TooLong => format!(
                "the line is longer than {} bytes, the most a record may have: is a line end missing?",
                thousands(MAX_LINE)
            ),
        }
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How the physical lines of a file were read: every one is the header, a
/// record (good or rejected) or blank, so `lines = 1 + records + blank`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LineCount {
    /// Physical lines, the header's included.
    pub lines: u64,
    /// Blank lines among them (skipped).
    pub blank: u64,
    /// The first blank line, for messages.
    pub first_blank: Option<u64>,
}

impl LineCount {
    /// Checks that every line is the header, one of `records` or blank: no line vanished.
    pub(crate) fn check(&self, path: &std::path::Path, records: u64) -> Result<(), DataError> {
        if self.lines == 1 + records + self.blank {
            return Ok(());
        }
        Err(DataError::Format {
            path: path.to_path_buf(),
            message: format!(
                "{} lines were read but only the header, {records} records and {} blank lines are accounted for (a bug in yibao: please report it)",
                self.lines, self.blank
            ),
        })
    }
}

/// What [`Lines::next`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A record, in the [`Record`] given.
    Record,
    /// A line that is not a record; the [`Record`] holds what could be read of it.
    Bad(LineError),
    /// The end of the file.
    End,
}

/// A line found in the buffer: its content `buf[start..end]`, whether a
/// line feed alone ends it (at `end`), and whether a carriage return stands
/// inside it; or a line too long to keep.
enum Found {
    Line {
        start: usize,
        end: usize,
        lf: bool,
        bare_cr: bool,
    },
    TooLong,
}

/// Reads a file line by line, each line one record.
pub struct Lines {
    src: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// The bytes not yet read are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    core: csv_core::Reader,
    count: LineCount,
    /// A byte-order mark before the first line is skipped: true for a whole
    /// file, false for a block cut from its middle.
    bom: bool,
}

impl Lines {
    pub fn new(src: Box<dyn Read + Send>) -> Lines {
        Lines::over(src, vec![0; BUFFER], 0, false, true)
    }

    /// The lines of a block of whole lines cut from a file after its header
    /// (see [`super::blocks`]): read from memory, numbered from 1, with no
    /// byte-order mark looked for.
    pub fn block(bytes: Vec<u8>) -> Lines {
        let end = bytes.len();
        Lines::over(Box::new(std::io::empty()), bytes, end, true, false)
    }

    /// Lines from `buf[..end]`, then from `src` unless at its end (`eof`).
    fn over(src: Box<dyn Read + Send>, buf: Vec<u8>, end: usize, eof: bool, bom: bool) -> Lines {
        let mut lines = Lines {
            src,
            buf,
            start: 0,
            end,
            eof,
            core: csv_core::ReaderBuilder::new()
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            count: LineCount::default(),
            bom,
        };
        prime(&mut lines.core);
        lines
    }

    /// What is left of the file once the lines read so far are taken: the
    /// bytes already read but not yet taken, the source, and whether it is
    /// at its end.
    pub fn into_rest(self) -> (Vec<u8>, Box<dyn Read + Send>, bool) {
        let mut rest = self.buf;
        rest.truncate(self.end);
        rest.drain(..self.start);
        (rest, self.src, self.eof)
    }

    /// The lines read so far.
    pub fn count(&self) -> LineCount {
        self.count
    }

    /// Reads the next line into `rec`; blank lines are counted and skipped.
    pub fn next(&mut self, rec: &mut Record) -> std::io::Result<Next> {
        loop {
            let Some(found) = self.next_line()? else {
                return Ok(Next::End);
            };
            self.count.lines += 1;
            rec.line = self.count.lines;
            rec.len = 0;
            let (mut start, end, lf, bare_cr) = match found {
                Found::TooLong => return Ok(Next::Bad(LineError::TooLong)),
                Found::Line {
                    start,
                    end,
                    lf,
                    bare_cr,
                } => (start, end, lf, bare_cr),
            };
            if self.bom
                && self.count.lines == 1
                && self.buf[start..end].starts_with(b"\xEF\xBB\xBF")
            {
                start += 3;
            }
            if start == end {
                self.count.blank += 1;
                self.count.first_blank.get_or_insert(self.count.lines);
                continue;
            }
            // A line feed that ends the line ends the record too: parsed in one go.
            let input = &self.buf[start..end + usize::from(lf)];
            let open = parse_line(&mut self.core, input, lf, rec);
            return Ok(match (open, bare_cr) {
                (_, true) => Next::Bad(LineError::CarriageReturn),
                (Some(field), false) => Next::Bad(LineError::OpenQuote(field)),
                (None, false) => Next::Record,
            });
        }
    }

    /// Finds the next line: LF or CRLF ends it, and so does the end of the file.
    fn next_line(&mut self) -> std::io::Result<Option<Found>> {
        let mut scan = self.start;
        let mut bare_cr = false;
        loop {
            if let Some(i) = memchr::memchr2(b'\n', b'\r', &self.buf[scan..self.end]) {
                let at = scan + i;
                if self.buf[at] == b'\n' {
                    return Ok(Some(self.take(at, at + 1, bare_cr)));
                }
                // A carriage return ends the line when a line feed follows it.
                if at + 1 < self.end {
                    if self.buf[at + 1] == b'\n' {
                        return Ok(Some(self.take(at, at + 2, bare_cr)));
                    }
                    bare_cr = true;
                    scan = at + 1;
                    continue;
                }
                if self.eof {
                    return Ok(Some(self.take(at, at + 1, bare_cr)));
                }
                // The byte after it is not read yet: look at this one again then.
                scan = at;
            } else {
                if self.eof {
                    if self.start == self.end {
                        return Ok(None);
                    }
                    let end = self.end;
                    return Ok(Some(self.take(end, end, bare_cr)));
                }
                scan = self.end;
            }
            if scan - self.start > MAX_LINE {
                self.skip_line()?;
                return Ok(Some(Found::TooLong));
            }
            scan -= self.fill()?;
        }
    }

    /// The line `buf[start..end]`, the next one starting at `next`.
    fn take(&mut self, end: usize, next: usize, bare_cr: bool) -> Found {
        let start = self.start;
        self.start = next;
        if end - start > MAX_LINE {
            Found::TooLong
        } else {
            Found::Line {
                start,
                end,
                lf: next == end + 1 && self.buf[end] == b'\n',
                bare_cr,
            }
        }
    }

    /// Skips the rest of a line too long to keep, through its line feed.
    fn skip_line(&mut self) -> std::io::Result<()> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                self.start += i + 1;
                return Ok(());
            }
            self.start = self.end;
            if self.eof {
                return Ok(());
            }
            self.fill()?;
        }
    }

    /// Moves the unread bytes to the front of the buffer and reads more
    /// after them; returns how far the bytes moved.
    fn fill(&mut self) -> std::io::Result<usize> {
        let moved = self.start;
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= moved;
        self.start = 0;
        loop {
            // Never empty: a line in progress is at most MAX_LINE + 1 bytes.
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            return Ok(moved);
        }
    }
}

/// Makes `core` read a BOM as text: it skips one at the start of its first
/// input, and the reader strips the file's own BOM itself. A line feed at
/// the start of a record is skipped, so this reads nothing.
fn prime(core: &mut csv_core::Reader) {
    let _ = core.read_record(b"\n", &mut [], &mut []);
}

/// Parses `line` as one record into `rec`; `lf`: the line ends in its line
/// feed, else it has no line end. Returns the field a quote opened in when
/// one is still open at the end of the line; `rec` then holds the fields up
/// to it, and that field to the line's end.
fn parse_line(
    core: &mut csv_core::Reader,
    line: &[u8],
    lf: bool,
    rec: &mut Record,
) -> Option<usize> {
    let content = &line[..line.len() - usize::from(lf)];
    if memchr::memchr(b'"', content).is_none() {
        split_plain(content, rec);
        return None;
    }
    let (mut out, mut ends) = (0, 0);
    let mut input = line;
    let mut ended = lf;
    loop {
        let (res, nin, nout, nend) =
            core.read_record(input, &mut rec.bytes[out..], &mut rec.ends[ends..]);
        input = &input[nin..];
        out += nout;
        ends += nend;
        match res {
            ReadRecordResult::InputEmpty if !ended => {
                // The line is read: end the record as a line feed would.
                input = b"\n";
                ended = true;
            }
            ReadRecordResult::InputEmpty => {
                // The line feed went into a quoted field: the quote is open.
                out -= usize::from(out > 0 && rec.bytes[out - 1] == b'\n');
                if ends == rec.ends.len() {
                    rec.ends.push(0);
                }
                rec.ends[ends] = out;
                rec.len = ends + 1;
                core.reset();
                prime(core);
                return Some(ends);
            }
            ReadRecordResult::OutputFull => {
                let n = rec.bytes.len() * 2;
                rec.bytes.resize(n, 0);
            }
            ReadRecordResult::OutputEndsFull => {
                let n = rec.ends.len() * 2;
                rec.ends.resize(n, 0);
            }
            ReadRecordResult::Record | ReadRecordResult::End => {
                rec.len = ends;
                return None;
            }
        }
    }
}

/// An opened CSV file: its lines, its header (the first line that is not
/// blank), and the encoding it was decoded from when it was not UTF-8.
pub(crate) fn open(input: &Input) -> Result<(Lines, Record, Option<&'static str>), DataError> {
    let opened = input.open()?;
    let mut lines = Lines::new(opened.reader);
    let mut header = Record::default();
    let format = |message: String| DataError::Format {
        path: input.path().to_path_buf(),
        message,
    };
    let next = lines.next(&mut header).map_err(|source| DataError::Io {
        path: input.path().to_path_buf(),
        source,
    })?;
    match next {
        Next::Record => Ok((lines, header, opened.decoded_from)),
        Next::End => Err(format("the file is empty: it has no header row".into())),
        Next::Bad(LineError::CarriageReturn) => Err(format(format!(
            "the header (line {}) holds a carriage return (`\\r`) that does not end the line: lines must end in LF or CRLF; a file whose lines end in CR alone must be saved again",
            header.line
        ))),
        Next::Bad(e) => Err(format(format!(
            "the header (line {}): {}",
            header.line,
            e.reason(&[])
        ))),
    }
}

/// A line without quotes into `rec`: its fields are the bytes between
/// commas, as `csv_core` reads them, without its state machine (most lines
/// of a data file have no quotes).
fn split_plain(line: &[u8], rec: &mut Record) {
    if rec.bytes.len() < line.len() {
        rec.bytes.resize(line.len(), 0);
    }
    let mut out = 0;
    let mut n = 0;
    for &b in line {
        if b == b',' {
            if n == rec.ends.len() {
                rec.ends.push(0);
            }
            rec.ends[n] = out;
            n += 1;
        } else {
            rec.bytes[out] = b;
            out += 1;
        }
    }
    if n == rec.ends.len() {
        rec.ends.push(0);
    }
    rec.ends[n] = out;
    rec.len = n + 1;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Each line read: its number, and its fields or why it is no record.
    type LinesRead = (Vec<(u64, Result<Vec<String>, LineError>)>, LineCount);

    /// A source that gives at most `n` bytes a read, as pipes do.
    struct Trickle(std::io::Cursor<Vec<u8>>, usize);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    /// Every line of `text`, read `chunk` bytes at a time, as (line, fields or error).
    fn read_in(text: &[u8], chunk: usize) -> LinesRead {
        let src = Trickle(std::io::Cursor::new(text.to_vec()), chunk);
        let mut lines = Lines::new(Box::new(src));
        let mut rec = Record::default();
        let mut out = Vec::new();
        loop {
            match lines.next(&mut rec).unwrap() {
                Next::End => break,
                Next::Record => out.push((rec.line, Ok(rec.to_strings()))),
                Next::Bad(e) => out.push((rec.line, Err(e))),
            }
        }
        (out, lines.count())
    }

    fn read(text: &[u8]) -> LinesRead {
        let whole = read_in(text, usize::MAX);
        // Byte by byte, every line end and quote falls between two reads.
        assert_eq!(read_in(text, 1), whole);
        whole
    }

    fn ok(fields: &[&str]) -> Result<Vec<String>, LineError> {
        Ok(fields.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn each_line_is_one_record() {
        let (got, count) = read(
            b"\xEF\xBB\xBFa,b\r\n\"x,1\",\"y\"\"\"\n\n\"open,2\nz,\"3\r\nbare\rcr,4\n\r\nlast,5",
        );
        assert_eq!(
            got,
            [
                (1, ok(&["a", "b"])),
                (2, ok(&["x,1", "y\""])),
                (4, Err(LineError::OpenQuote(0))),
                (5, Err(LineError::OpenQuote(1))),
                (6, Err(LineError::CarriageReturn)),
                (8, ok(&["last", "5"])),
            ]
        );
        assert_eq!(
            count,
            LineCount {
                lines: 8,
                blank: 2,
                first_blank: Some(3)
            }
        );
    }

    #[test]
    fn an_open_quote_keeps_what_was_read_and_the_next_line_is_fresh() {
        let mut lines = Lines::new(Box::new(std::io::Cursor::new(
            "a,\"b,c\n\u{feff}d,e\n".as_bytes().to_vec(),
        )));
        let mut rec = Record::default();
        assert_eq!(
            lines.next(&mut rec).unwrap(),
            Next::Bad(LineError::OpenQuote(1))
        );
        assert_eq!(rec.to_strings(), ["a", "b,c"]);
        // A BOM inside the file is text, not skipped.
        assert_eq!(lines.next(&mut rec).unwrap(), Next::Record);
        assert_eq!(rec.to_strings(), ["\u{feff}d", "e"]);
        assert_eq!(lines.next(&mut rec).unwrap(), Next::End);
    }

    #[test]
    fn lines_at_and_over_the_limit_and_across_buffers() {
        let at = "x".repeat(MAX_LINE);
        let over = "y".repeat(MAX_LINE + 1);
        let far_over = "z".repeat(3 * BUFFER);
        let mut text = String::new();
        // Over a MiB of short lines before them, so that lines straddle refills.
        let n = 100_000;
        for i in 0..n {
            text.push_str(&format!("r{i},{i}\r\n"));
        }
        text.push_str(&format!("{at}\n{over}\r\n{far_over}\nend,1\r"));
        assert!(text.len() > 4 * BUFFER);
        let (got, count) = read_in(text.as_bytes(), 4093);
        assert_eq!(got.len(), n + 4);
        assert!(
            got[..n]
                .iter()
                .enumerate()
                .all(|(i, (l, r))| *l == i as u64 + 1
                    && r == &ok(&[&format!("r{i}"), &i.to_string()]))
        );
        let n = n as u64;
        assert_eq!(
            got[n as usize..],
            [
                (n + 1, ok(&[&at])),
                (n + 2, Err(LineError::TooLong)),
                (n + 3, Err(LineError::TooLong)),
                (n + 4, ok(&["end", "1"])),
            ]
        );
        assert_eq!(count.lines, n + 4);
        assert_eq!(read_in(text.as_bytes(), usize::MAX), (got, count));
    }

    #[test]
    fn many_fields_and_long_fields_grow_the_record() {
        let wide = vec!["f"; 500].join(",");
        let long = "q".repeat(10_000);
        let (got, _) = read(format!("{wide}\n\"{long}\",2\n").as_bytes());
        assert_eq!(got[0].1.as_ref().map(Vec::len), Ok(500));
        assert_eq!(got[1], (2, ok(&[&long, "2"])));
    }

    #[test]
    fn reasons_name_the_column() {
        let cols = vec!["claim_id".to_string(), "disease_code".to_string()];
        assert!(LineError::OpenQuote(1)
            .reason(&cols)
            .starts_with("a quote opened in disease_code is not closed on this line"));
        assert!(LineError::OpenQuote(4)
            .reason(&cols)
            .contains("in field 5 "));
        assert!(LineError::TooLong
            .reason(&cols)
            .starts_with("the line is longer than 65,536 bytes"));
    }
}
