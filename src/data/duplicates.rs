//! Duplicated ids. Every copy of an id that appears more than once is
//! rejected, each naming the lines of the others: settling the first copy
//! read would make the outcome depend on row order, and which copy is
//! right only the sender of the file can tell.

use super::{and_list, escape};
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// How many other lines a reason lists before it counts the rest.
const LISTED: usize = 5;

/// The items among `n` whose id (`id_of`) another item has too, each with
/// the reason it is rejected (naming the others' lines, `line_of`); in item
/// order. `what` names the id's column.
///
/// Ids are grouped by sorting their hashes, not with a hash map: sorting
/// walks memory in order, where a map of millions of ids misses the cache on
/// nearly every row.
pub(crate) fn find<'a>(
    n: usize,
    id_of: impl Fn(usize) -> &'a str,
    line_of: impl Fn(usize) -> u64,
    what: &str,
) -> Vec<(usize, String)> {
    let mut by_hash: Vec<(u64, usize)> = (0..n)
        .map(|i| {
            let mut h = FxHasher::default();
            id_of(i).hash(&mut h);
            (h.finish(), i)
        })
        .collect();
    by_hash.sort_unstable();
    let mut out = Vec::new();
    for run in by_hash.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        // Equal hashes may hide different ids: group the run by id, each
        // group in line order.
        let mut members: Vec<usize> = run.iter().map(|&(_, i)| i).collect();
        members.sort_by(|&a, &b| id_of(a).cmp(id_of(b)).then(line_of(a).cmp(&line_of(b))));
        for group in members
            .chunk_by(|&a, &b| id_of(a) == id_of(b))
            .filter(|g| g.len() > 1)
        {
            for &i in group {
                let others = group.iter().filter(|&&j| j != i).map(|&j| line_of(j));
                out.push((i, reason(what, id_of(i), others, group.len() - 1)));
            }
        }
    }
    out.sort_unstable_by_key(|&(i, _)| i);
    out
}

/// "duplicate claim_id `A`: also on lines 4 and 9"; past six other lines,
/// the first five and how many more.
pub(crate) fn reason(what: &str, id: &str, others: impl Iterator<Item = u64>, n: usize) -> String {
    let listed = if n > LISTED + 1 { LISTED } else { n };
    let lines: Vec<String> = others.take(listed).map(|l| l.to_string()).collect();
    let list = if n > listed {
        format!("{} and {} more", lines.join(", "), n - listed)
    } else {
        and_list(&lines)
    };
    let s = if n == 1 { "" } else { "s" };
    format!("duplicate {what} `{}`: also on line{s} {list}", escape(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_copy_names_the_others() {
        let ids = ["A", "B", "A", "C", "A", "B"];
        let got = find(ids.len(), |i| ids[i], |i| i as u64 + 2, "claim_id");
        assert_eq!(
            got,
            [
                (
                    0,
                    "duplicate claim_id `A`: also on lines 4 and 6".to_string()
                ),
                (1, "duplicate claim_id `B`: also on line 7".to_string()),
                (
                    2,
                    "duplicate claim_id `A`: also on lines 2 and 6".to_string()
                ),
                (
                    4,
                    "duplicate claim_id `A`: also on lines 2 and 4".to_string()
                ),
                (5, "duplicate claim_id `B`: also on line 3".to_string()),
            ]
        );
    }

    #[test]
    fn many_copies_are_counted_not_listed() {
        let got = find(9, |_| "X", |i| i as u64 + 2, "claim_id");
        assert_eq!(got.len(), 9);
        assert_eq!(
            got[0].1,
            "duplicate claim_id `X`: also on lines 3, 4, 5, 6, 7 and 3 more"
        );
        let seven = find(7, |_| "X", |i| i as u64 + 2, "claim_id");
        assert_eq!(
            seven[6].1,
            "duplicate claim_id `X`: also on lines 2, 3, 4, 5, 6 and 7"
        );
    }
}
