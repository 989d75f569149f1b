//! A data file cut into blocks of whole lines, to be parsed on several
//! threads and put back together in file order.
//!
//! A record never spans lines (see [`super::records`]), so a file can be
//! cut at any line start and each part read on its own: a block ends just
//! after a line feed (or at the end of the file), and the lines in it are
//! numbered from 1 by whoever reads it; putting the blocks back together in
//! order adds the lines before each. One line longer than a block could
//! hold is not kept at all: it is skipped through its line feed and stands
//! as a [`Block::TooLong`] of its own, as the line-by-line reader would
//! reject it, so a file with no line ends is never read into memory whole.

use super::records::MAX_LINE;
use std::io::Read;

/// One piece of a file, in file order.
#[derive(Debug)]
pub enum Block {
    /// Whole lines: every one but perhaps the file's last ends in a line feed.
    Lines(Vec<u8>),
    /// One line longer than [`MAX_LINE`] bytes, skipped.
    TooLong,
}

/// Cuts what is left of a file into [`Block`]s of about `size` bytes.
pub struct Blocks {
    src: Box<dyn Read + Send>,
    /// The start of a line whose end is not read yet.
    pending: Vec<u8>,
    eof: bool,
    size: usize,
}

impl Blocks {
    /// Blocks of about `size` bytes (more where a line is longer), from
    /// `pending` (bytes already read) and then `src`.
    pub fn new(pending: Vec<u8>, src: Box<dyn Read + Send>, eof: bool, size: usize) -> Blocks {
        Blocks {
            src,
            pending,
            eof,
            size: size.max(1),
        }
    }

    /// The next block, or `None` at the end of the file.
    pub fn next_block(&mut self) -> std::io::Result<Option<Block>> {
        let mut buf = std::mem::take(&mut self.pending);
        loop {
            if self.eof {
                return Ok((!buf.is_empty()).then_some(Block::Lines(buf)));
            }
            if buf.len() >= self.size {
                match memchr::memrchr(b'\n', &buf) {
                    Some(i) => {
                        self.pending = buf.split_off(i + 1);
                        return Ok(Some(Block::Lines(buf)));
                    }
                    // More than a line may hold (and a CR) with no line
                    // feed: one line too long.
                    None if buf.len() > MAX_LINE + 1 => {
                        self.skip_line()?;
                        return Ok(Some(Block::TooLong));
                    }
                    // One line longer than a block: read on.
                    None => {}
                }
            }
            self.fill(&mut buf)?;
        }
    }

    /// Reads into `buf` up to the block size, or a block's size more when
    /// it holds that already; fewer bytes only at the end of the file.
    /// Memory grows with what is read, not with the block size.
    fn fill(&mut self, buf: &mut Vec<u8>) -> std::io::Result<()> {
        let have = buf.len();
        let want = if have < self.size {
            self.size - have
        } else {
            self.size
        };
        let got = (&mut self.src).take(want as u64).read_to_end(buf)?;
        if got < want {
            self.eof = true;
        }
        Ok(())
    }

    /// Skips the rest of a line, through its line feed; what follows it is
    /// kept for the next block.
    fn skip_line(&mut self) -> std::io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            self.fill(&mut buf)?;
            if let Some(i) = memchr::memchr(b'\n', &buf) {
                self.pending = buf.split_off(i + 1);
                return Ok(());
            }
            if self.eof {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every block of `text`, as its text or "TOO LONG".
    fn cut(text: &[u8], size: usize) -> Vec<String> {
        let mut blocks = Blocks::new(
            Vec::new(),
            Box::new(std::io::Cursor::new(text.to_vec())),
            false,
            size,
        );
        let mut out = Vec::new();
        while let Some(b) = blocks.next_block().unwrap() {
            out.push(match b {
                Block::Lines(l) => String::from_utf8(l).unwrap(),
                Block::TooLong => "TOO LONG".into(),
            });
        }
        out
    }

    #[test]
    fn blocks_end_at_line_ends_and_give_back_every_byte() {
        let line = "a".repeat(1000) + "\r\n";
        let text = line.repeat(400) + "last";
        let blocks = cut(text.as_bytes(), 5000);
        // Each block holds about the block size, cut after a line feed.
        assert!(blocks.len() > 2);
        for b in &blocks[..blocks.len() - 1] {
            assert!(
                b.len() > 5000 - line.len() && b.ends_with('\n'),
                "{}",
                b.len()
            );
        }
        assert!(blocks[blocks.len() - 1].ends_with("last"));
        assert_eq!(blocks.concat(), text);
        // Blocks smaller than a line: a line each, the last line (read
        // with the end of the file) in the block before it.
        let blocks = cut(text.as_bytes(), 10);
        assert_eq!(blocks.len(), 400);
        assert_eq!(blocks[399], line.clone() + "last");
        assert_eq!(blocks.concat(), text);
    }

    #[test]
    fn a_line_longer_than_a_block_is_skipped_through_its_line_feed() {
        let long = "x".repeat(3 * MAX_LINE);
        let text = format!("a\n{long}\nb\n");
        for size in [1, 1000, 2 * MAX_LINE] {
            assert_eq!(cut(text.as_bytes(), size), ["a\n", "TOO LONG", "b\n"]);
        }
        // At the end of the file, with no line feed: nothing after it.
        let text = format!("a\n{long}");
        assert_eq!(cut(text.as_bytes(), 1000), ["a\n", "TOO LONG"]);
        // A line just at the limit, ending in CRLF, is one block's line:
        // the reader of the block judges it.
        let text = format!("{}\r\nb\n", "x".repeat(MAX_LINE));
        assert_eq!(cut(text.as_bytes(), 10), [text]);
    }

    #[test]
    fn an_empty_rest_has_no_blocks() {
        assert!(cut(b"", 1).is_empty());
    }
}
