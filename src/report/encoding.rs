//! The text encoding of CSV result files: UTF-8 (the default), UTF-8 with a
//! byte-order mark (what Excel needs to read UTF-8 as UTF-8), or GB18030
//! (what Excel on Chinese Windows reads by default; it encodes every
//! character, so nothing is lost). JSON is always UTF-8.

use std::io::{self, Write};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
pub enum Encoding {
    #[default]
    #[value(name = "utf-8")]
    #[serde(rename = "utf-8")]
    Utf8,
    #[value(name = "utf-8-bom")]
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    #[value(name = "gb18030")]
    #[serde(rename = "gb18030")]
    Gb18030,
}

impl Encoding {
    /// As the flag writes it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Gb18030 => "gb18030",
        }
    }

    /// `text` (UTF-8) as a whole file in this encoding.
    pub fn encode_whole(self, text: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Encoded::new(Vec::with_capacity(text.len() + 3), self)?;
        out.write_all(text)?;
        out.finish()
    }
}

/// A writer that takes UTF-8 and writes it in an [`Encoding`]: the byte-order
/// mark first, or each piece transcoded. A character split between two
/// writes is held until its end arrives; bytes that are not UTF-8 are an
/// error, never written as something else.
pub struct Encoded<W: Write> {
    out: W,
    gb: Option<encoding_rs::Encoder>,
    /// The start of a character whose end has not been written yet.
    carry: Vec<u8>,
    buf: Vec<u8>,
}

impl<W: Write> Encoded<W> {
    pub fn new(mut out: W, enc: Encoding) -> io::Result<Encoded<W>> {
        if enc == Encoding::Utf8Bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        Ok(Encoded {
            out,
            gb: (enc == Encoding::Gb18030).then(|| encoding_rs::GB18030.new_encoder()),
            carry: Vec::new(),
            buf: Vec::new(),
        })
    }

    /// The inner writer, flushed; an error when a character was left unfinished.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.carry.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "text ends inside a UTF-8 character",
            ));
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Encoded<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let Some(gb) = self.gb.as_mut() else {
            return self.out.write(bytes);
        };
        self.carry.extend_from_slice(bytes);
        let whole = match std::str::from_utf8(&self.carry) {
            Ok(s) => s.len(),
            // An unfinished last character: the rest waits for it.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                self.carry.truncate(self.carry.len() - bytes.len());
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "result text is not UTF-8",
                ));
            }
        };
        let text = std::str::from_utf8(&self.carry[..whole]).unwrap_or_default();
        self.buf.clear();
        self.buf.reserve(text.len() * 2 + 16);
        // GB18030 encodes every character: no replacement ever happens.
        let _ = gb.encode_from_utf8_to_vec(text, &mut self.buf, false);
        self.out.write_all(&self.buf)?;
        self.carry.drain(..whole);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn each_encoding_writes_what_excel_reads() {
        let text = "机构,金额\n第1人民医院,12.50\n".as_bytes();
        assert_eq!(Encoding::Utf8.encode_whole(text).unwrap(), text);
        let bom = Encoding::Utf8Bom.encode_whole(text).unwrap();
        assert_eq!(&bom[..3], b"\xEF\xBB\xBF");
        assert_eq!(&bom[3..], text);
        let gb = Encoding::Gb18030.encode_whole(text).unwrap();
        // 机 is 0xBB 0xFA in GB18030 (as in GBK).
        assert_eq!(&gb[..2], [0xBB, 0xFA]);
        let (back, _, bad) = encoding_rs::GB18030.decode(&gb);
        assert!(!bad);
        assert_eq!(back.as_bytes(), text);
    }

    #[test]
    fn a_character_split_between_writes_is_encoded_whole() {
        let text = "医保𠀀€".as_bytes();
        let mut out = Encoded::new(Vec::new(), Encoding::Gb18030).unwrap();
        for b in text {
            out.write_all(&[*b]).unwrap();
        }
        let gb = out.finish().unwrap();
        assert_eq!(gb, Encoding::Gb18030.encode_whole(text).unwrap());
        let (back, _, _) = encoding_rs::GB18030.decode(&gb);
        assert_eq!(back, "医保𠀀€");
        // Cut inside a character at the end, or not UTF-8: an error.
        let mut cut = Encoded::new(Vec::new(), Encoding::Gb18030).unwrap();
        cut.write_all(&text[..1]).unwrap();
        assert!(cut.finish().is_err());
        let mut bad = Encoded::new(Vec::new(), Encoding::Gb18030).unwrap();
        assert!(bad.write_all(b"\xFF").is_err());
    }
}
