//! A plain aligned table for the terminal; widths are display widths, so
//! Chinese names line up.

use unicode_width::UnicodeWidthStr;

#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns aligned left (the rest right); 1 unless set.
    left: usize,
}

impl Table {
    pub fn new(header: Vec<String>) -> Table {
        Table {
            header,
            rows: vec![],
            left: 1,
        }
    }

    /// Aligns the first `n` columns left (labels), the others right (figures).
    pub fn left_aligned(mut self, n: usize) -> Table {
        self.left = n;
        self
    }

    pub fn row(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The first columns (one unless [`Table::left_aligned`]) left-aligned, the others right-aligned.
    pub fn render(&self) -> String {
        let n = self.header.len();
        let mut widths = vec![0; n];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.width());
            }
        }
        let mut out = String::new();
        for (i, r) in std::iter::once(&self.header).chain(&self.rows).enumerate() {
            let mut line = String::new();
            for (j, (c, w)) in r.iter().zip(&widths).enumerate() {
                let pad = " ".repeat(w - c.width());
                if j > 0 && j < self.left {
                    line.push_str("  ");
                }
                if j < self.left {
                    line.push_str(c);
                    line.push_str(&pad);
                } else {
                    line.push_str("  ");
                    line.push_str(&pad);
                    line.push_str(c);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
            if i == 0 {
                let total: usize = widths.iter().sum::<usize>() + 2 * (n.saturating_sub(1));
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_by_display_width() {
        let mut t = Table::new(vec!["名称".into(), "amount".into()]);
        t.row(vec!["住院".into(), "1.00".into()]);
        t.row(vec!["outpatient".into(), "100.00".into()]);
        let r = t.render();
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[2], "住院          1.00");
        assert_eq!(lines[3], "outpatient  100.00");
    }
}
