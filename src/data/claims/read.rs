//! Parsing a claims file's blocks (see [`crate::data::blocks`]), on one
//! thread or several: each block's rows become a [`Segment`], numbered from
//! the block's first line, handed on in file order.

use super::{parse_row, Layout, Segment};
use crate::data::blocks::{Block, Blocks};
use crate::data::money::trim;
use crate::data::records::{self, Lines, Next, Record};
use crate::data::{row_error, DataError};

/// Parses every block, handing each to `join` in file order: on this
/// thread when `threads` is 1, else on `threads` threads.
pub(super) fn parse_all(
    blocks: &mut Blocks,
    layout: &Layout,
    threads: usize,
    join: &mut dyn FnMut(Segment) -> Result<(), DataError>,
) -> Result<(), DataError> {
    if threads <= 1 {
        while let Some(block) = blocks.next_block().map_err(|e| layout.io(e))? {
            join(parse_block(block, layout)?)?;
        }
        return Ok(());
    }
    parse_in_parallel(blocks, layout, threads, join)
}

/// Parses the blocks on `threads` threads, handing each parsed block to
/// `join` in file order; at most a few blocks per thread are in memory
/// waiting at any time. Where the system refuses threads, the ones it
/// starts parse every block (this one, if it starts none).
fn parse_in_parallel(
    blocks: &mut Blocks,
    layout: &Layout,
    threads: usize,
    join: &mut dyn FnMut(Segment) -> Result<(), DataError>,
) -> Result<(), DataError> {
    use std::sync::mpsc;
    let io = |e| layout.io(e);
    let (to_parse, jobs) = mpsc::sync_channel::<(usize, Block)>(threads);
    let jobs = std::sync::Mutex::new(jobs);
    let (parsed, done) = mpsc::channel::<(usize, Result<Segment, DataError>)>();
    std::thread::scope(|scope| {
        let mut started = 0;
        for _ in 0..threads {
            let (jobs, parsed) = (&jobs, parsed.clone());
            let spawned = std::thread::Builder::new()
                .name("yibao-read".into())
                .spawn_scoped(scope, move || loop {
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((k, block)) = job else { return };
                    if parsed.send((k, parse_block(block, layout))).is_err() {
                        return;
                    }
                });
            // A thread the system refuses is no error: fewer parse, down
            // to this one alone.
            if spawned.is_err() {
                break;
            }
            started += 1;
        }
        drop(parsed);
        if started == 0 {
            drop(to_parse);
            return parse_all(blocks, layout, 1, join);
        }
        // Blocks parsed out of turn wait here for the ones before them.
        let mut waiting: std::collections::BTreeMap<usize, Segment> = Default::default();
        let (mut sent, mut next) = (0usize, 0usize);
        let mut take = |k: usize, seg: Result<Segment, DataError>| -> Result<(), DataError> {
            waiting.insert(k, seg?);
            while let Some(seg) = waiting.remove(&next) {
                join(seg)?;
                next += 1;
            }
            Ok(())
        };
        let mut read_all = || -> Result<(), DataError> {
            while let Some(block) = blocks.next_block().map_err(io)? {
                // Hand over what is parsed before blocking on a full queue,
                // so the waiting blocks stay few.
                while let Ok((k, seg)) = done.try_recv() {
                    take(k, seg)?;
                }
                if to_parse.send((sent, block)).is_err() {
                    break;
                }
                sent += 1;
            }
            Ok(())
        };
        let read = read_all();
        drop(to_parse);
        read?;
        for (k, seg) in done.iter() {
            take(k, seg)?;
        }
        Ok(())
    })
}

/// Parses one block's lines into its rows and row errors.
fn parse_block(block: Block, layout: &Layout) -> Result<Segment, DataError> {
    let mut seg = Segment {
        extras: vec![Vec::new(); layout.extras.len()],
        ..Segment::default()
    };
    let bytes = match block {
        Block::Lines(bytes) => bytes,
        Block::TooLong => {
            let mut rec = Record::default();
            rec.line = 1;
            seg.rows_read = 1;
            seg.count.lines = 1;
            let reason = records::LineError::TooLong.reason(&layout.names);
            seg.errors.push(row_error(layout.path, &rec, reason));
            return Ok(seg);
        }
    };
    // Room for the block's rows at once, not grown a doubling at a time: a
    // claim line is rarely under 64 bytes.
    let room = bytes.len() / 64;
    seg.rows.reserve(room);
    seg.patient_of.reserve(room);
    let mut lines = Lines::block(bytes);
    let mut rec = Record::default();
    let mut row_extras = Vec::with_capacity(layout.extras.len());
    loop {
        let next = lines.next(&mut rec).map_err(|e| layout.io(e))?;
        match next {
            Next::End => break,
            Next::Bad(e) => {
                seg.rows_read += 1;
                seg.errors
                    .push(row_error(layout.path, &rec, e.reason(&layout.names)));
                continue;
            }
            Next::Record => seg.rows_read += 1,
        }
        row_extras.clear();
        match parse_row(&rec, layout, &mut seg.arena, &mut row_extras) {
            Ok((claim, patient)) => {
                for (col, v) in seg.extras.iter_mut().zip(row_extras.drain(..)) {
                    col.push(v);
                }
                seg.rows.push(claim);
                seg.patient_of.push(patient);
            }
            Err(reason) => {
                let id = rec
                    .get(layout.idx[0])
                    .map(trim)
                    .filter(|_| rec.len() == layout.width);
                if let Some(Ok(id)) = id.filter(|id| !id.is_empty()).map(std::str::from_utf8) {
                    seg.bad_ids.push((seg.errors.len(), id.to_string()));
                }
                seg.errors.push(row_error(layout.path, &rec, reason));
            }
        }
    }
    seg.count = lines.count();
    Ok(seg)
}
