//! What every loader shares: opening a file as a decoded UTF-8 stream, reading it row by row (CSV)
//! or line by line, and parsing one cell with its location so errors say `file:line:column`.
//!
//! Everything streams: a loader holds one row or one line at a time, so memory is bounded by the
//! [`Interactions`](super::Interactions) it builds, never by the size of the file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};

use super::error::{DataError, Location, Result};
use crate::calendar::digits;

/// The text encoding of a source file. Whatever is chosen, a byte-order mark wins: a UTF-8 BOM
/// is dropped and the text read as UTF-8, a UTF-16 BOM (Excel's "Unicode text") transcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// Decided from the bytes: UTF-8 when the first non-ASCII character is well-formed UTF-8,
    /// else ISO-8859-1. Real text in one encoding is almost never valid in the other (an accented
    /// Latin-1 letter is followed by an ASCII byte, never by the continuation byte UTF-8 needs),
    /// so the first such character decides; deciding there, not after reading the whole file,
    /// keeps loading a stream. This is what every loader uses unless told otherwise: raw
    /// ASSISTments exports are ISO-8859-1, the other formats and re-saved files usually UTF-8.
    #[default]
    Auto,
    /// UTF-8. Invalid bytes are reported where a loader reads them, rather than silently replaced,
    /// so a Latin-1 file read as UTF-8 fails loudly.
    Utf8,
    /// ISO-8859-1, decoded as its superset windows-1252 (what browsers and encoding_rs do).
    Latin1,
}

impl TextEncoding {
    /// Parses an encoding name as a user would type it (`auto`, `utf-8`, `latin1`, `iso-8859-1`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Some(TextEncoding::Auto),
            "utf-8" | "utf8" => Some(TextEncoding::Utf8),
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "windows-1252" | "cp1252" => Some(TextEncoding::Latin1),
            _ => None,
        }
    }
}

/// A decoded, buffered text stream: UTF-8 bytes (unless the UTF-8 source itself is invalid).
pub type Decoded<R> = BufReader<Decode<R>>;

/// Raw bytes in, UTF-8 out, in the [`TextEncoding`] asked for (see there for `Auto`).
///
/// UTF-8 passes through unchanged and unchecked: cells are validated where a loader reads them,
/// which is faster and lets errors point at the offending cell.
pub struct Decode<R> {
    inner: R,
    encoding: TextEncoding,
    state: DecodeState,
    /// Raw input read ahead: `raw[lo..hi]` is not consumed yet.
    raw: Box<[u8]>,
    lo: usize,
    hi: usize,
    eof: bool,
    /// Decoded output that did not fit the caller's buffer: `staged[staged_lo..staged_hi]`.
    staged: [u8; 32],
    staged_lo: usize,
    staged_hi: usize,
}

enum DecodeState {
    /// Nothing read yet: a byte-order mark may follow.
    Start,
    /// `Auto` before the first non-ASCII byte: ASCII passes through.
    Sniff,
    /// UTF-8: bytes pass through.
    Pass,
    /// Latin-1 or UTF-16, through encoding_rs.
    Transcode(Decoder),
    /// A transcoder flushed at the end of input.
    Done,
}

impl<R: Read> Decode<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        Decode {
            inner,
            encoding,
            state: DecodeState::Start,
            raw: vec![0; 64 * 1024].into_boxed_slice(),
            lo: 0,
            hi: 0,
            eof: false,
            staged: [0; 32],
            staged_lo: 0,
            staged_hi: 0,
        }
    }

    /// Reads until at least `min` raw bytes are buffered or the input ends; whether any are.
    fn fill(&mut self, min: usize) -> io::Result<bool> {
        if self.hi - self.lo < min && !self.eof {
            self.raw.copy_within(self.lo..self.hi, 0);
            (self.lo, self.hi) = (0, self.hi - self.lo);
            while self.hi < min && !self.eof {
                match self.inner.read(&mut self.raw[self.hi..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.hi += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.hi > self.lo)
    }

    /// Copies up to `out.len()` buffered raw bytes to `out`.
    fn pass(&mut self, out: &mut [u8], limit: usize) -> usize {
        let n = limit.min(out.len()).min(self.hi - self.lo);
        out[..n].copy_from_slice(&self.raw[self.lo..self.lo + n]);
        self.lo += n;
        n
    }
}

/// Whether `bytes` start with a whole, well-formed UTF-8 character of two or more bytes (`bytes`
/// holds at least four, or all that is left).
fn starts_with_utf8_char(bytes: &[u8]) -> bool {
    let width = match bytes.first() {
        Some(0xC2..=0xDF) => 2,
        Some(0xE0..=0xEF) => 3,
        Some(0xF0..=0xF4) => 4,
        _ => return false,
    };
    bytes.len() >= width && std::str::from_utf8(&bytes[..width]).is_ok()
}

impl<R: Read> Read for Decode<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.staged_lo < self.staged_hi {
                let n = out.len().min(self.staged_hi - self.staged_lo);
                out[..n].copy_from_slice(&self.staged[self.staged_lo..self.staged_lo + n]);
                self.staged_lo += n;
                return Ok(n);
            }
            match &mut self.state {
                DecodeState::Start => {
                    self.fill(3)?;
                    let (state, bom) = match Encoding::for_bom(&self.raw[self.lo..self.hi]) {
                        Some((e, bom)) if e == UTF_8 => (DecodeState::Pass, bom),
                        Some((e, bom)) => (DecodeState::Transcode(e.new_decoder_without_bom_handling()), bom),
                        None => match self.encoding {
                            TextEncoding::Auto => (DecodeState::Sniff, 0),
                            TextEncoding::Utf8 => (DecodeState::Pass, 0),
                            TextEncoding::Latin1 => (DecodeState::Transcode(WINDOWS_1252.new_decoder_without_bom_handling()), 0),
                        },
                    };
                    self.lo += bom;
                    self.state = state;
                }
                DecodeState::Pass => {
                    if !self.fill(1)? {
                        return Ok(0);
                    }
                    return Ok(self.pass(out, usize::MAX));
                }
                DecodeState::Sniff => {
                    if !self.fill(1)? {
                        return Ok(0);
                    }
                    let ahead = &self.raw[self.lo..self.hi.min(self.lo + out.len())];
                    let ascii = if ahead.is_ascii() { ahead.len() } else { ahead.iter().position(|b| !b.is_ascii()).unwrap_or(ahead.len()) };
                    if ascii > 0 {
                        return Ok(self.pass(out, ascii));
                    }
                    // The first non-ASCII byte decides, for the rest of the input.
                    self.fill(4)?;
                    self.state = if starts_with_utf8_char(&self.raw[self.lo..self.hi]) {
                        DecodeState::Pass
                    } else {
                        DecodeState::Transcode(WINDOWS_1252.new_decoder_without_bom_handling())
                    };
                }
                DecodeState::Transcode(_) => {
                    let more = self.fill(1)?;
                    let DecodeState::Transcode(decoder) = &mut self.state else { unreachable!() };
                    // A small caller buffer may not hold one character: decode into `staged`.
                    let small = out.len() < self.staged.len();
                    let dst = if small { &mut self.staged[..] } else { &mut *out };
                    let (_, read, written, _) = decoder.decode_to_utf8(&self.raw[self.lo..self.hi], dst, !more);
                    self.lo += read;
                    if !more {
                        self.state = DecodeState::Done;
                    }
                    if small {
                        (self.staged_lo, self.staged_hi) = (0, written);
                    } else if written > 0 {
                        return Ok(written);
                    }
                }
                DecodeState::Done => return Ok(0),
            }
        }
    }
}

/// An input stream plus the name its errors carry.
pub struct Source<R> {
    pub name: String,
    pub reader: Decoded<R>,
}

impl Source<File> {
    /// Opens `path` for streaming in `encoding`.
    pub fn open(path: &Path, encoding: TextEncoding) -> Result<Self> {
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        Ok(Source::new(file, &path.display().to_string(), encoding))
    }
}

impl<R: Read> Source<R> {
    /// Wraps any reader; `name` is what error messages call it.
    pub fn new(reader: R, name: &str, encoding: TextEncoding) -> Self {
        Source { name: name.to_string(), reader: BufReader::new(Decode::new(reader, encoding)) }
    }
}

/// An error located at a cell (or a line, with `column: None`) whose message is free text; for
/// count mismatches where `expected N, found M` reads better unquoted than [`DataError::Parse`].
pub fn invalid_at(file: &str, line: u64, column: Option<usize>, message: impl Into<String>) -> DataError {
    DataError::Invalid { at: Location { file: file.to_string(), line, column: column.map(|c| (c, None)) }, message: message.into() }
}

/// One cell of input with where it came from, so every parse error names file, line and column.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    pub file: &'a str,
    pub line: u64,
    /// 1-based field index.
    pub column: usize,
    /// The column's header name, when the source has a header.
    pub name: Option<&'a str>,
    pub text: &'a str,
}

impl<'a> Cell<'a> {
    pub fn error(&self, expected: impl Into<String>) -> DataError {
        DataError::parse(self.file, self.line, Some((self.column, self.name.map(str::to_string))), expected, self.text)
    }

    /// The text, or `None` when the cell is empty.
    pub fn optional(&self) -> Option<&'a str> {
        (!self.text.is_empty()).then_some(self.text)
    }

    /// A required id: any non-empty text. `what` names it in the error ("a user id").
    pub fn id(&self, what: &str) -> Result<&'a str> {
        self.optional().ok_or_else(|| self.error(what))
    }

    /// A `0`/`1` flag, the only spelling the knowledge-tracing formats use.
    pub fn bit(&self) -> Result<bool> {
        match self.text {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(self.error("0 or 1")),
        }
    }

    /// A boolean as hand-made CSVs spell it: `0`/`1`/`true`/`false` (any case).
    pub fn boolean(&self) -> Result<bool> {
        match self.text.to_ascii_lowercase().as_str() {
            "0" | "false" => Ok(false),
            "1" | "true" => Ok(true),
            _ => Err(self.error("0, 1, true or false")),
        }
    }

    /// Any `FromStr` value (integers mostly); `expected` describes it for the error.
    pub fn parse<T: FromStr>(&self, expected: &str) -> Result<T> {
        self.text.parse().map_err(|_| self.error(expected))
    }

    /// A duration in seconds: empty means unknown; otherwise a finite, non-negative number.
    pub fn seconds(&self) -> Result<Option<f32>> {
        let Some(text) = self.optional() else { return Ok(None) };
        match text.parse::<f32>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Ok(Some(s)),
            _ => Err(self.error("a non-negative number of seconds")),
        }
    }

    /// A strict `YYYY-MM-DD` date, as seconds since the epoch at 00:00 UTC.
    pub fn date(&self) -> Result<i64> {
        parse_date(self.text).ok_or_else(|| self.error("a date YYYY-MM-DD"))
    }

    /// A point in time: integer seconds since the epoch, `YYYY-MM-DD`, or
    /// `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]` (UTC unless an offset is given).
    pub fn timestamp(&self) -> Result<i64> {
        let t = self.text;
        let parsed = if t.bytes().all(|b| b.is_ascii_digit()) || (t.starts_with('-') && t.len() > 1 && t[1..].bytes().all(|b| b.is_ascii_digit())) {
            t.parse().ok()
        } else {
            parse_date_time(t)
        };
        parsed.ok_or_else(|| self.error("a time (integer seconds since 1970, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"))
    }
}

/// `YYYY-MM-DD`, strictly (two-digit month and day, real calendar day), as epoch seconds.
pub fn parse_date(s: &str) -> Option<i64> {
    crate::calendar::parse_ymd(s).map(|days| days * 86_400)
}

/// `YYYY-MM-DD`, or it followed by `T` or a space and `HH:MM[:SS[.fff]]`, then an optional `Z`
/// or `±HH:MM` offset. Fractions of a second are dropped.
pub fn parse_date_time(s: &str) -> Option<i64> {
    if s.len() == 10 {
        return parse_date(s);
    }
    let (date, rest) = (s.get(..10)?, s.get(10..)?);
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let (clock, offset) = match rest.find(['Z', '+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let offset_secs = match offset {
        "" | "Z" => 0,
        _ => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (h, m) = offset[1..].split_once(':')?;
            let (h, m) = (digits(h, 2)?, digits(m, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h as i64 * 3600 + m as i64 * 60)
        }
    };
    let clock = clock.split_once('.').map_or(clock, |(whole, frac)| if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) { whole } else { "" });
    let mut parts = clock.split(':');
    let (h, m) = (digits(parts.next()?, 2)?, digits(parts.next()?, 2)?);
    let sec = match parts.next() {
        Some(p) => digits(p, 2)?,
        None => 0,
    };
    if parts.next().is_some() || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(parse_date(date)? + (h * 3600 + m * 60 + sec) as i64 - offset_secs)
}

/// Rewrites `\r\n` and lone `\r` as `\n` and makes the stream end with `\n`.
///
/// Why: csv reports a record's line as where the previous record ended, which is off by one for
/// CRLF files and after blank lines. With only `\n` endings and a final `\n`, the line a record
/// starts on is exactly `line after reading - 1 - newlines inside its fields` (see
/// [`CsvTable::next_row`]).
struct UnixNewlines<R> {
    inner: R,
    /// A `\r` ended the previous chunk: it is a line end, and a `\n` right after belongs to it.
    pending_cr: bool,
    last: Option<u8>,
    done: bool,
}

impl<R: BufRead> Read for UnixNewlines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while !out.is_empty() && !self.done {
            let buf = self.inner.fill_buf()?;
            let (mut n_in, mut n_out) = (0, 0);
            if buf.is_empty() {
                self.done = true;
                if self.pending_cr || self.last.is_some_and(|b| b != b'\n') {
                    out[0] = b'\n';
                    return Ok(1);
                }
                return Ok(0);
            }
            if self.pending_cr {
                self.pending_cr = false;
                out[0] = b'\n';
                n_out = 1;
                n_in = usize::from(buf[0] == b'\n');
            }
            while n_in < buf.len() && n_out < out.len() {
                let b = buf[n_in];
                n_in += 1;
                if b == b'\r' {
                    match buf.get(n_in) {
                        Some(b'\n') => continue,
                        Some(_) => {}
                        None => {
                            self.pending_cr = true;
                            break;
                        }
                    }
                }
                out[n_out] = if b == b'\r' { b'\n' } else { b };
                n_out += 1;
            }
            self.inner.consume(n_in);
            if n_out > 0 {
                self.last = Some(out[n_out - 1]);
                return Ok(n_out);
            }
        }
        Ok(0)
    }
}

/// A CSV file with a header, read one record at a time; columns are found by header name.
pub struct CsvTable<R> {
    reader: csv::Reader<UnixNewlines<R>>,
    file: String,
    header: Vec<String>,
    record: csv::ByteRecord,
}

impl<R: Read> CsvTable<Decoded<R>> {
    /// Reads the header. Rows must then have as many fields as it (`flexible(false)`); cells and
    /// header names are trimmed of surrounding spaces.
    pub fn new(source: Source<R>, delimiter: u8) -> Result<Self> {
        let input = UnixNewlines { inner: source.reader, pending_cr: false, last: None, done: false };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).delimiter(delimiter).from_reader(input);
        let header: Vec<String> = match reader.byte_headers() {
            Ok(h) => h.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect(),
            Err(e) => return Err(csv_error(&source.name, 0, &[], e)),
        };
        if header.iter().all(|h| h.is_empty()) {
            return Err(invalid_at(&source.name, 1, None, "expected a header line naming the columns, found an empty file"));
        }
        Ok(CsvTable { reader, file: source.name, header, record: csv::ByteRecord::new() })
    }
}

impl<R: BufRead> CsvTable<R> {
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The 0-based index of the column named `name`, or `None`.
    pub fn optional_column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The 0-based index of the column named `name`; an error listing the header if absent.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.optional_column(name).ok_or_else(|| DataError::MissingColumn { file: self.file.clone(), column: name.to_string(), header: self.header.join(",") })
    }

    /// The next data row, or `None` at the end of the file. Blank lines are skipped.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        let result = self.reader.read_byte_record(&mut self.record);
        // See `UnixNewlines`: the reader now stands on the line after the record's last line.
        let inner_newlines = self.record.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        let line = self.reader.position().line().saturating_sub(1 + inner_newlines);
        match result {
            Ok(false) => Ok(None),
            Ok(true) => Ok(Some(Row { file: &self.file, line, header: &self.header, record: &self.record })),
            Err(e) => Err(csv_error(&self.file, line, &self.header, e)),
        }
    }
}

/// What a cell that is not UTF-8 should have been. It is only met in a file read as UTF-8 (chosen,
/// marked by a BOM, or decided by earlier UTF-8 text), so other bytes there mean mixed encodings.
const UTF8_EXPECTED: &str = "UTF-8 text, as in the rest of the file (a file must be all UTF-8 or all ISO-8859-1)";

/// Maps a csv error to ours, at `line`.
fn csv_error(file: &str, line: u64, header: &[String], err: csv::Error) -> DataError {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => DataError::io(file, e),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            invalid_at(file, line, None, format!("expected {expected_len} fields (as in the header), found {len}"))
        }
        csv::ErrorKind::Utf8 { err, .. } => {
            let column = err.field() + 1;
            DataError::parse(file, line, Some((column, header.get(column - 1).cloned())), UTF8_EXPECTED, "invalid UTF-8")
        }
        other => invalid_at(file, line, None, format!("{:?}", other)),
    }
}

/// One data row of a [`CsvTable`].
pub struct Row<'a> {
    file: &'a str,
    line: u64,
    header: &'a [String],
    record: &'a csv::ByteRecord,
}

impl<'a> Row<'a> {
    pub fn file(&self) -> &'a str {
        self.file
    }

    /// The 1-based line the row starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The cell in 0-based column `col`, checked to be UTF-8 (only the cells a loader uses are,
    /// so stray bytes in ignored columns never fail a load).
    pub fn cell(&self, col: usize) -> Result<Cell<'a>> {
        let bytes = self.record.get(col).unwrap_or_default().trim_ascii();
        let name = self.header.get(col).map(String::as_str);
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Cell { file: self.file, line: self.line, column: col + 1, name, text }),
            Err(_) => {
                let lossy = String::from_utf8_lossy(bytes);
                let cell = Cell { file: self.file, line: self.line, column: col + 1, name, text: &lossy };
                Err(cell.error(UTF8_EXPECTED))
            }
        }
    }

    /// The cell in `col` when the column exists, else `None`.
    pub fn optional_cell(&self, col: Option<usize>) -> Result<Option<Cell<'a>>> {
        col.map(|c| self.cell(c)).transpose()
    }
}

/// A line-based source read one line at a time into a reused buffer.
pub struct LineReader<R> {
    reader: R,
    file: String,
    line: u64,
    buf: Vec<u8>,
}

impl<R: Read> LineReader<Decoded<R>> {
    pub fn new(source: Source<R>) -> Self {
        LineReader { reader: source.reader, file: source.name, line: 0, buf: Vec::new() }
    }
}

impl<R: BufRead> LineReader<R> {
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The number of the last line read (0 before the first).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next line without its `\n` / `\r\n` and with its 1-based number, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<(u64, &str)>> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf).map_err(|e| DataError::io(&self.file, e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut bytes = self.buf.as_slice();
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Some((self.line, text))),
            Err(e) => {
                let (good, _) = bytes.split_at(e.valid_up_to());
                let column = good.iter().filter(|&&b| b == b',').count() + 1;
                let field = bytes.split(|&b| b == b',').nth(column - 1).unwrap_or_default();
                Err(DataError::parse(&self.file, self.line, Some((column, None)), UTF8_EXPECTED, String::from_utf8_lossy(field)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> Cell<'_> {
        Cell { file: "f.csv", line: 3, column: 2, name: Some("c"), text }
    }

    #[test]
    fn cells_parse_or_name_where_and_what() {
        assert!(cell("1").bit().unwrap());
        assert_eq!(cell("2").bit().unwrap_err().to_string(), "f.csv:3:2 (column 'c'): expected 0 or 1, found \"2\"");
        assert!(!cell("FALSE").boolean().unwrap());
        assert_eq!(cell("").seconds().unwrap(), None);
        assert_eq!(cell("12.5").seconds().unwrap(), Some(12.5));
        assert!(cell("-1").seconds().is_err());
        assert_eq!(cell("").id("a user id").unwrap_err().to_string(), "f.csv:3:2 (column 'c'): expected a user id, found \"\"");
        assert_eq!(cell("x").parse::<u64>("an order id").unwrap_err().to_string(), "f.csv:3:2 (column 'c'): expected an order id, found \"x\"");
    }

    #[test]
    fn dates_are_strict_and_match_the_calendar() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(951_868_800));
        assert_eq!(parse_date("2020-12-12"), Some(1_607_731_200));
        assert_eq!(parse_date("1969-12-31"), Some(-86_400));
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2000-02-29").is_some());
        for bad in ["2023-02-29", "1900-02-29", "2020-13-01", "2020-00-10", "2020-04-31", "2020-1-01", "20-01-01", "2020/01/01", "2020-01-01x", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(cell("2023-02-29").date().unwrap_err().to_string(), "f.csv:3:2 (column 'c'): expected a date YYYY-MM-DD, found \"2023-02-29\"");
    }

    #[test]
    fn timestamps_accept_seconds_dates_and_clock_times() {
        assert_eq!(cell("1600000000").timestamp().unwrap(), 1_600_000_000);
        assert_eq!(cell("-5").timestamp().unwrap(), -5);
        assert_eq!(cell("1970-01-02").timestamp().unwrap(), 86_400);
        assert_eq!(cell("1970-01-01T01:02:03").timestamp().unwrap(), 3723);
        assert_eq!(cell("1970-01-01 01:02").timestamp().unwrap(), 3720);
        assert_eq!(cell("1970-01-01T01:02:03.250Z").timestamp().unwrap(), 3723);
        assert_eq!(cell("1970-01-01T01:00:00+01:00").timestamp().unwrap(), 0);
        assert_eq!(cell("1970-01-01T00:00:00-00:30").timestamp().unwrap(), 1800);
        for bad in ["1970-01-01T24:00:00", "1970-01-01T10:60", "1970-01-01 10", "1970-01-01T10:00:00.", "12.5", "soon", ""] {
            assert!(cell(bad).timestamp().is_err(), "{bad}");
        }
    }

    #[test]
    fn encodings_decode_latin1_and_strip_the_bom() {
        let mut s = String::new();
        Source::new(&b"caf\xe9"[..], "x", TextEncoding::Latin1).reader.read_to_string(&mut s).unwrap();
        assert_eq!(s, "café");
        let mut s = String::new();
        Source::new(&b"\xef\xbb\xbfa,b"[..], "x", TextEncoding::Utf8).reader.read_to_string(&mut s).unwrap();
        assert_eq!(s, "a,b");
        let mut s = String::new();
        Source::new("\u{feff}café".as_bytes(), "x", TextEncoding::Latin1).reader.read_to_string(&mut s).unwrap();
        assert_eq!(s, "café", "a UTF-8 BOM overrides Latin-1");
        let mut s = String::new();
        Source::new(&b"\xff\xfea\x00\xe9\x00"[..], "x", TextEncoding::Latin1).reader.read_to_string(&mut s).unwrap();
        assert_eq!(s, "a\u{e9}", "a UTF-16 BOM transcodes");
        assert_eq!(TextEncoding::from_name("ISO-8859-1"), Some(TextEncoding::Latin1));
        assert_eq!(TextEncoding::from_name("auto"), Some(TextEncoding::Auto));
        assert_eq!(TextEncoding::from_name("utf8"), Some(TextEncoding::Utf8));
        assert_eq!(TextEncoding::from_name("ebcdic"), None);
    }

    /// `bytes` through [`Decode`] in `encoding`, read `chunk` bytes at a time.
    fn decode(bytes: &[u8], encoding: TextEncoding, chunk: usize) -> Vec<u8> {
        let mut d = Decode::new(bytes, encoding);
        let (mut out, mut buf) = (Vec::new(), vec![0u8; chunk]);
        loop {
            match d.read(&mut buf).unwrap() {
                0 => return out,
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn auto_reads_utf8_as_utf8_and_anything_else_as_latin1() {
        let utf8 = "id,name\n1,José\n2,Ángulos €\n".as_bytes();
        let latin1 = b"id,name\n1,Jos\xe9\n2,\xc1ngulos \x80\n";
        for chunk in [1, 2, 3, 7, 4096] {
            assert_eq!(decode(utf8, TextEncoding::Auto, chunk), utf8, "chunk {chunk}");
            assert_eq!(String::from_utf8(decode(latin1, TextEncoding::Auto, chunk)).unwrap(), "id,name\n1,José\n2,Ángulos €\n", "chunk {chunk}");
        }
        // The first non-ASCII character decides, however far into the file it is.
        let mut late = b"a\n".repeat(100_000);
        late.extend_from_slice(b"caf\xe9\n");
        assert!(String::from_utf8(decode(&late, TextEncoding::Auto, 8192)).unwrap().ends_with("a\ncafé\n"));
        // A lone Latin-1 letter at the very end, with no byte after it to check.
        assert_eq!(String::from_utf8(decode(b"caf\xe9", TextEncoding::Auto, 64)).unwrap(), "café");
        // Once UTF-8, later bad bytes pass through for the loader to report at their cell.
        assert_eq!(decode(b"\xc3\xa9,\xe9", TextEncoding::Auto, 64), b"\xc3\xa9,\xe9");
        assert_eq!(decode(b"\xef\xbb\xbf\xe9", TextEncoding::Auto, 64), b"\xe9", "a UTF-8 BOM means UTF-8");
        assert_eq!(decode(b"", TextEncoding::Auto, 64), b"");
        assert_eq!(String::from_utf8(decode(b"\xe9\xe8", TextEncoding::Latin1, 1)).unwrap(), "éè", "one byte at a time");
    }

    #[test]
    fn csv_table_finds_columns_and_locates_errors() {
        let src = Source::new("b, a\n1, 2 \n\n3\n".as_bytes(), "t.csv", TextEncoding::Utf8);
        let mut t = CsvTable::new(src, b',').unwrap();
        assert_eq!(t.column("a").unwrap(), 1);
        assert_eq!(t.column("zz").unwrap_err().to_string(), "t.csv:1: missing column 'zz' (header has: b,a)");
        let row = t.next_row().unwrap().unwrap();
        assert_eq!((row.line(), row.cell(1).unwrap().text), (2, "2"));
        assert_eq!(t.next_row().err().unwrap().to_string(), "t.csv:4: expected 2 fields (as in the header), found 1");

        let src = Source::new(&b"id,name\n7,caf\xe9\n"[..], "l.csv", TextEncoding::Utf8);
        let mut t = CsvTable::new(src, b',').unwrap();
        let row = t.next_row().unwrap().unwrap();
        assert_eq!(row.cell(0).unwrap().text, "7", "bad bytes elsewhere in the row do not matter");
        assert_eq!(row.cell(1).unwrap_err().to_string(), format!("l.csv:2:2 (column 'name'): expected {UTF8_EXPECTED}, found \"caf\u{fffd}\""));

        let err = CsvTable::new(Source::new(&b""[..], "e.csv", TextEncoding::Utf8), b',').err().unwrap();
        assert_eq!(err.to_string(), "e.csv:1: expected a header line naming the columns, found an empty file");
    }

    /// Every row's line, for CRLF, LF, lone CR, blank lines, quoted newlines and no final newline.
    fn row_lines(input: &str) -> Vec<(u64, String)> {
        let mut t = CsvTable::new(Source::new(input.as_bytes(), "t", TextEncoding::Utf8), b',').unwrap();
        let mut out = Vec::new();
        while let Some(row) = t.next_row().unwrap() {
            out.push((row.line(), row.cell(0).unwrap().text.to_string()));
        }
        out
    }

    #[test]
    fn csv_rows_know_their_true_line() {
        let expected = vec![(2, "a".to_string()), (4, "b".into()), (5, "c\nd".into()), (9, "e".into())];
        assert_eq!(row_lines("h,x\na,1\n\nb,2\n\"c\nd\",3\n\n\ne,4"), expected);
        assert_eq!(row_lines("h,x\r\na,1\r\n\r\nb,2\r\n\"c\r\nd\",3\r\n\r\n\r\ne,4\r\n"), expected);
        assert_eq!(row_lines("h,x\ra,1\r\rb,2\r\"c\rd\",3\r\r\re,4\r"), expected);
        // A tiny buffer puts a \r at the end of every chunk.
        let src = Source { name: "t".into(), reader: BufReader::with_capacity(1, Decode::new(&b"h\r\na\r\rb"[..], TextEncoding::Utf8)) };
        let mut t = CsvTable::new(src, b',').unwrap();
        let mut got = Vec::new();
        while let Some(row) = t.next_row().unwrap() {
            got.push((row.line(), row.cell(0).unwrap().text.to_string()));
        }
        assert_eq!(got, vec![(2, "a".to_string()), (4, "b".into())]);
    }

    #[test]
    fn line_reader_numbers_lines_and_strips_endings() {
        let mut r = LineReader::new(Source::new(&b"a\r\nb\n\nc,\xff\xfe,d"[..], "l.txt", TextEncoding::Utf8));
        assert_eq!(r.next_line().unwrap(), Some((1, "a")));
        assert_eq!(r.next_line().unwrap(), Some((2, "b")));
        assert_eq!(r.next_line().unwrap(), Some((3, "")));
        assert_eq!(r.next_line().unwrap_err().to_string(), format!("l.txt:4:2: expected {UTF8_EXPECTED}, found \"\u{fffd}\u{fffd}\""));
        assert_eq!(r.next_line().unwrap(), None);
    }
}
