//! Where a data file's bytes come from, and in which encoding.
//!
//! An [`Input`] is a file on disk or bytes in memory (tests, stdin, a sheet
//! read by another reader), named by a path in every message either way.
//! Opening it settles the encoding once for the whole file:
//! - UTF-8, with or without a BOM, is read as it is, streaming;
//! - a file whose first MiB is not UTF-8 is read whole and decoded when it is
//!   entirely valid GB18030 (which covers GBK and GB2312: what Chinese
//!   spreadsheets save as "CSV") or UTF-16 with a byte-order mark; the caller
//!   is told, so the user hears which encoding was read;
//! - anything else is refused, naming the likely encoding: never read as garbage.
//!
//! A stray non-UTF-8 byte further into a UTF-8 file is a row error of that row.
//!
//! The file's kind is told by its content first ([`super::xlsx`]): an xlsx
//! workbook's first sheet is read as CSV; Parquet, .xls, zip, gzip and other
//! binary kinds are refused, named as what they are.

use super::DataError;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What [`Opened::decoded_from`] says of an xlsx workbook.
pub const XLSX: &str = "xlsx";

/// How much of a file is looked at to tell its encoding.
const SNIFF: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    bytes: Option<Arc<[u8]>>,
}

/// An opened input: its bytes as UTF-8, and the encoding they were decoded
/// from when it was not UTF-8.
pub(crate) struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub decoded_from: Option<&'static str>,
}

impl Input {
    pub fn file(path: impl Into<PathBuf>) -> Input {
        Input {
            path: path.into(),
            bytes: None,
        }
    }

    /// Bytes in memory, named `name` in messages.
    pub fn bytes(name: impl Into<PathBuf>, bytes: impl Into<Arc<[u8]>>) -> Input {
        Input {
            path: name.into(),
            bytes: Some(bytes.into()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the input holds (before any decoding), when it can be told.
    pub fn size(&self) -> Option<u64> {
        match &self.bytes {
            Some(b) => u64::try_from(b.len()).ok(),
            None => std::fs::metadata(&self.path).ok().map(|m| m.len()),
        }
    }

    fn io(&self, source: std::io::Error) -> DataError {
        DataError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Opens the input as UTF-8 (decoding it if need be; see the module docs).
    pub(crate) fn open(&self) -> Result<Opened, DataError> {
        let mut head = Vec::new();
        let mut rest: Box<dyn Read + Send> = match &self.bytes {
            Some(b) => Box::new(std::io::Cursor::new(Arc::clone(b))),
            None => Box::new(std::fs::File::open(&self.path).map_err(|e| self.io(e))?),
        };
        (&mut rest)
            .take(SNIFF as u64)
            .read_to_end(&mut head)
            .map_err(|e| self.io(e))?;
        match super::xlsx::kind_of(&head) {
            super::xlsx::Kind::Text => {}
            super::xlsx::Kind::Xlsx => {
                rest.read_to_end(&mut head).map_err(|e| self.io(e))?;
                let (csv, _sheet) =
                    super::xlsx::sheet_as_csv(head).map_err(|message| DataError::Format {
                        path: self.path.clone(),
                        message,
                    })?;
                return Ok(Opened {
                    reader: Box::new(std::io::Cursor::new(csv)),
                    decoded_from: Some(XLSX),
                });
            }
            super::xlsx::Kind::Other(what) => {
                return Err(DataError::Format {
                    path: self.path.clone(),
                    message: format!("not a CSV file: it is {what}"),
                })
            }
        }
        let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
        if !utf16 && mostly_utf8(&head) {
            return Ok(Opened {
                reader: Box::new(std::io::Cursor::new(head).chain(rest)),
                decoded_from: None,
            });
        }
        rest.read_to_end(&mut head).map_err(|e| self.io(e))?;
        let (encoding, name) = if utf16 {
            let e = if head.starts_with(&[0xFF, 0xFE]) {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            (e, "UTF-16")
        } else {
            (encoding_rs::GB18030, "GB18030 (GBK)")
        };
        match encoding.decode_without_bom_handling_and_without_replacement(strip_bom(&head, utf16))
        {
            Some(text) => Ok(Opened {
                reader: Box::new(std::io::Cursor::new(text.into_owned().into_bytes())),
                decoded_from: Some(name),
            }),
            None => Err(DataError::Format {
                path: self.path.clone(),
                message: super::encoding_message(&head),
            }),
        }
    }
}

/// Whether `b` is UTF-8 (but for a character cut off at its end), or UTF-8
/// with stray bytes: valid multi-byte characters outnumber the invalid
/// sequences. GBK text is the other way round: only about one hanzi in seven
/// happens to form a valid UTF-8 sequence, the rest are invalid. A UTF-8 file
/// must not be decoded as GBK into garbage for a stray byte; that byte's row
/// is reported instead.
fn mostly_utf8(b: &[u8]) -> bool {
    let (mut valid_multi, mut invalid) = (0usize, 0usize);
    let mut rest = b;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid_multi += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let good = &rest[..e.valid_up_to()];
                // Safe to count: `good` is the valid prefix.
                valid_multi += std::str::from_utf8(good)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                match e.error_len() {
                    // A character cut off at the end of what was read.
                    None => break,
                    Some(n) => {
                        invalid += 1;
                        rest = &rest[e.valid_up_to() + n..];
                    }
                }
            }
        }
    }
    invalid == 0 || valid_multi > invalid
}

fn strip_bom(b: &[u8], utf16: bool) -> &[u8] {
    if utf16 {
        b.get(2..).unwrap_or(&[])
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &Input) -> (String, Option<&'static str>) {
        let mut o = input.open().unwrap();
        let mut b = Vec::new();
        o.reader.read_to_end(&mut b).unwrap();
        (String::from_utf8_lossy(&b).into_owned(), o.decoded_from)
    }

    #[test]
    fn encodings_are_told_apart() {
        let text = "claim_id,disease_code\nC1,肺炎\n";
        let utf8 = Input::bytes("a.csv", text.as_bytes().to_vec());
        assert_eq!(read(&utf8), (text.to_string(), None));
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let gbk = Input::bytes("b.csv", gbk.into_owned());
        assert_eq!(read(&gbk), (text.to_string(), Some("GB18030 (GBK)")));
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            read(&Input::bytes("c.csv", utf16)),
            (text.to_string(), Some("UTF-16"))
        );
        // Not UTF-8 and not valid GB18030 either: refused, never garbage.
        let bad = Input::bytes("d.csv", vec![b'a', 0xFF, 0xFF, 0x80, b'\n']);
        assert!(bad.open().is_err());
    }

    #[test]
    fn one_stray_byte_does_not_make_a_utf8_file_gbk() {
        let mut b = "claim_id,disease_code\n".to_string().into_bytes();
        for i in 0..50 {
            b.extend(format!("C{i},肺炎\n").as_bytes());
        }
        b.extend(b"C99,\xB0\xCD\n");
        let (_, enc) = read(&Input::bytes("f.csv", b));
        assert_eq!(enc, None);
    }

    #[test]
    fn real_gbk_text_is_recognised() {
        // A paragraph of the domain's own words, as a GBK spreadsheet saves it.
        let text = "统筹基金按项目付费，起付线以上按比例报销；大病保险分段支付，城乡居民医保，定点医疗机构年终清算，结余留用，合理超支分担。\n".repeat(20);
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let (back, enc) = read(&Input::bytes("g.csv", gbk.into_owned()));
        assert_eq!(enc, Some("GB18030 (GBK)"));
        assert_eq!(back, text);
    }

    #[test]
    fn a_character_cut_at_the_sniff_boundary_is_still_utf8() {
        let mut b = "a".repeat(SNIFF - 1).into_bytes();
        b.extend("起付线\n".as_bytes());
        let input = Input::bytes("e.csv", b.clone());
        let (s, enc) = read(&input);
        assert_eq!(enc, None);
        assert_eq!(s.as_bytes(), &b[..]);
    }
}
