//! Every file a command reads or writes goes through here, so that nothing
//! is lost: inputs are registered as they are named, every output is
//! checked against all of them before anything is written, and outputs
//! appear whole or not at all.
//!
//! - **Inputs are never overwritten.** An output clashes with an input when
//!   both name the same file: the same canonical folder and file name (so
//!   relative paths, `..` and symlinked folders cannot slip through), or the
//!   same file on disk (device and inode: hard links and symlinks to an
//!   input). A clash is a usage error naming both, before anything is written.
//! - **A single output file** (a reject file, a report, a formatted policy)
//!   is written to a temporary file beside it and renamed over it: a reader
//!   sees the old file or the new one, never a prefix. A symlink at the
//!   output path is replaced, not written through — except by `fmt`, which
//!   rewrites the file a policy link points to, keeping the link.
//! - **An out folder's set of files** ([`OutSet`]) is written into a staging
//!   folder inside it, `.yibao-staging`, whose `manifest.json` is written
//!   last: the new set is complete once it is there. Then the folder's old
//!   manifest is removed, the new files renamed in (replacing links rather
//!   than writing through them), the files the previous run wrote and this
//!   one does not removed, and the manifest renamed in last. A reader that
//!   sees a `manifest.json` sees the complete set it lists; one that sees
//!   none knows the folder is being replaced. A run killed before the staging
//!   manifest leaves the previous set as it was (the staging folder is
//!   discarded by the next run); one killed during the swap leaves it to be
//!   finished by the next run into that folder, before it writes anything.
//!   Files yibao did not write are never touched.
//! - **Durability** against power loss (fsync of every file and of the
//!   folders) is asked for with `--durable`; crash safety is always there.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The staging folder inside an out folder.
pub(crate) const STAGING: &str = ".yibao-staging";
/// The mark that a set of files is complete, written last.
pub(crate) const MANIFEST: &str = "manifest.json";

/// Where a test may stop the process, to check what a crash leaves: the
/// hidden environment variable `YIBAO_TEST_ABORT_AT` names the point.
pub(crate) fn crash_point(name: &str) {
    if std::env::var("YIBAO_TEST_ABORT_AT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

/// A file as the file system knows it.
#[derive(Debug, Clone)]
struct Identity {
    shown: PathBuf,
    canonical: Option<PathBuf>,
    #[cfg(unix)]
    inode: Option<(u64, u64)>,
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

impl Identity {
    /// An input: its links followed.
    fn input(p: &Path) -> Identity {
        Identity {
            shown: p.to_path_buf(),
            canonical: std::fs::canonicalize(p).ok(),
            #[cfg(unix)]
            inode: std::fs::metadata(p).ok().map(|m| inode(&m)),
        }
    }

    /// An output: its folder canonical, the file itself as it is (a link
    /// there is replaced, so its target is not what is written).
    fn output(p: &Path) -> Identity {
        let name = p.file_name();
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let canonical = match (std::fs::canonicalize(&parent), name) {
            (Ok(d), Some(n)) => Some(d.join(n)),
            _ => None,
        };
        #[cfg(unix)]
        let inode = std::fs::symlink_metadata(p)
            .ok()
            .filter(|m| !m.file_type().is_symlink())
            .map(|m| inode(&m));
        Identity {
            shown: p.to_path_buf(),
            canonical,
            #[cfg(unix)]
            inode,
        }
    }

    fn same(&self, other: &Identity) -> bool {
        let by_path = self.canonical.is_some() && self.canonical == other.canonical;
        #[cfg(unix)]
        let by_inode = self.inode.is_some() && self.inode == other.inode;
        #[cfg(not(unix))]
        let by_inode = false;
        by_path || by_inode
    }
}

/// The inputs of a command, to check its outputs against.
#[derive(Debug, Default)]
pub(crate) struct Files {
    inputs: Vec<(&'static str, Identity)>,
}

impl Files {
    /// Registers an input file (`what`: "claims file", "policy", …).
    pub(crate) fn input(&mut self, what: &'static str, p: &Path) {
        self.inputs.push((what, Identity::input(p)));
    }

    /// A usage error when `out` would overwrite an input.
    pub(crate) fn check_output(&self, what: &str, out: &Path) -> Result<(), String> {
        // As written (a link there is replaced) and, for a link, where it
        // points: a link to an input is refused as well, to be safe.
        let (o, through) = (Identity::output(out), Identity::input(out));
        for (kind, i) in &self.inputs {
            if o.same(i) || through.same(i) {
                return Err(format!(
                    "{what} `{}` is the {kind} `{}`: an output never overwrites an input; write it elsewhere",
                    out.display(),
                    i.shown.display()
                ));
            }
        }
        Ok(())
    }

    /// Checks every file an out folder may get, and the folder itself.
    pub(crate) fn check_out_dir(&self, dir: &Path, names: &[String]) -> Result<(), String> {
        let d = Identity::input(dir);
        for (kind, i) in &self.inputs {
            if d.same(i) {
                return Err(format!(
                    "--out `{}` is the {kind} `{}`",
                    dir.display(),
                    i.shown.display()
                ));
            }
        }
        for n in names.iter().map(String::as_str).chain([MANIFEST]) {
            self.check_output("--out file", &dir.join(n))?;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` whole: a temporary file beside it, then a
/// rename. `follow` rewrites what a symlink at `path` points to (keeping
/// the link, and the file's permissions); otherwise a link is replaced.
pub(crate) fn write_whole(
    path: &Path,
    bytes: &[u8],
    follow: bool,
    durable: bool,
) -> std::io::Result<()> {
    let target = if follow {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    let perms = if follow {
        std::fs::metadata(&target).ok().map(|m| m.permissions())
    } else {
        None
    };
    let tmp = temp_beside(&target);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if let Some(p) = perms {
            f.set_permissions(p)?;
        }
        if durable {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, &target)?;
        if durable {
            sync_dir(target.parent())?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `.NAME.yibao-PID` beside `path`.
fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.yibao-{}", std::process::id()))
}

fn sync_dir(dir: Option<&Path>) -> std::io::Result<()> {
    let d = match dir {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(d)?.sync_all()
}

/// The files of one run's out folder, staged and then swapped in.
pub(crate) struct OutSet {
    dir: PathBuf,
    staging: PathBuf,
    durable: bool,
    committed: bool,
}

impl Drop for OutSet {
    /// A set that fails to be written (a full disk) leaves no staging behind.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl OutSet {
    /// Creates the out folder if needed, finishes (or discards) what an
    /// interrupted earlier run left, and makes a fresh staging folder.
    pub(crate) fn begin(dir: &Path, durable: bool) -> std::io::Result<OutSet> {
        std::fs::create_dir_all(dir)?;
        let mut set = OutSet {
            dir: dir.to_path_buf(),
            staging: dir.join(STAGING),
            durable,
            committed: true,
        };
        if set.staging.join(MANIFEST).exists() {
            // A complete set was being swapped in: finish it.
            set.swap()?;
        }
        if set.staging.exists() {
            std::fs::remove_dir_all(&set.staging)?;
        }
        std::fs::create_dir(&set.staging)?;
        set.committed = false;
        Ok(set)
    }

    /// Where the writers put this run's files.
    pub(crate) fn staging(&self) -> &Path {
        &self.staging
    }

    /// Writes the staged CSV files as one workbook `name` in the set, a sheet
    /// per file (`--xlsx`): the results first, in the order a reader wants
    /// them, then the rest by name. Returns notes for the user.
    pub(crate) fn add_workbook(&self, name: &str) -> std::io::Result<Vec<String>> {
        const FIRST: [&str; 6] = [
            "claims",
            "patient_years",
            "institution_years",
            "institution_months",
            "ledger",
            "ledger_months",
        ];
        let mut csvs: Vec<(String, PathBuf)> = Vec::new();
        for e in std::fs::read_dir(&self.staging)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "csv") {
                let stem = p
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                csvs.push((stem, p));
            }
        }
        csvs.sort_by_key(|(stem, _)| {
            (
                FIRST.iter().position(|f| f == stem).unwrap_or(FIRST.len()),
                stem.clone(),
            )
        });
        let work = self.staging.join(".xlsx-work");
        std::fs::create_dir_all(&work)?;
        let notes = crate::report::xlsx::write_workbook(&csvs, &self.staging.join(name), &work)
            .map_err(std::io::Error::other);
        std::fs::remove_dir_all(&work)?;
        notes
    }

    /// Marks the staged set complete (its manifest, written last), then
    /// swaps it in. `describe` is the manifest's account of the run.
    pub(crate) fn commit(mut self, describe: serde_json::Value) -> std::io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for e in std::fs::read_dir(&self.staging)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name != MANIFEST {
                let bytes = e.metadata()?.len();
                if self.durable {
                    std::fs::File::open(e.path())?.sync_all()?;
                }
                files.push((name, bytes));
            }
        }
        files.sort();
        let replaces = listed(&self.dir.join(MANIFEST), "files");
        let manifest = serde_json::json!({
            "yibao": env!("CARGO_PKG_VERSION"),
            "complete": true,
            "files": files
                .iter()
                .map(|(n, b)| serde_json::json!({ "name": n, "bytes": b }))
                .collect::<Vec<_>>(),
            "replaces": replaces
                .iter()
                .map(|n| serde_json::json!({ "name": n }))
                .collect::<Vec<_>>(),
            "run": describe,
        });
        let text = serde_json::to_string_pretty(&manifest).map_err(std::io::Error::other)?;
        crash_point("before-manifest");
        write_whole(
            &self.staging.join(MANIFEST),
            text.as_bytes(),
            false,
            self.durable,
        )?;
        if self.durable {
            sync_dir(Some(&self.staging))?;
        }
        // From here the staged set is complete: an interrupted swap is
        // finished by the next run, so the staging must stay until then.
        self.committed = true;
        self.swap()?;
        std::fs::remove_dir_all(&self.staging)?;
        Ok(files
            .into_iter()
            .map(|(n, _)| self.dir.join(n))
            .chain([self.dir.join(MANIFEST)])
            .collect())
    }

    /// Moves a complete staged set into the folder: the old manifest out,
    /// the new files in, the old set's other files out, the manifest in.
    fn swap(&self) -> std::io::Result<()> {
        let staged = self.staging.join(MANIFEST);
        let new = listed(&staged, "files");
        let old_manifest = self.dir.join(MANIFEST);
        // What the set replaces: the folder's manifest says, or — when a
        // swap was interrupted after it was removed — the staged one.
        let mut old = listed(&old_manifest, "files");
        old.extend(listed(&staged, "replaces"));
        if old_manifest.exists() {
            std::fs::remove_file(&old_manifest)?;
        }
        for (k, n) in new.iter().enumerate() {
            let from = self.staging.join(n);
            if from.exists() {
                std::fs::rename(&from, self.dir.join(n))?;
            }
            if k == 0 {
                crash_point("swap");
            }
        }
        for n in old.iter().filter(|n| !new.contains(n)) {
            let p = self.dir.join(n);
            if std::fs::symlink_metadata(&p).is_ok() {
                std::fs::remove_file(&p)?;
            }
        }
        if self.durable {
            sync_dir(Some(&self.dir))?;
        }
        std::fs::rename(self.staging.join(MANIFEST), &old_manifest)?;
        if self.durable {
            sync_dir(Some(&self.dir))?;
        }
        Ok(())
    }
}

/// The file names a manifest lists under `key` (`files`, `replaces`).
fn listed(manifest: &Path, key: &str) -> Vec<String> {
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v.get(key).and_then(|f| f.as_array()).map(|a| {
                a.iter()
                    .filter_map(|x| x.get("name").and_then(|n| n.as_str()))
                    .filter(|n| is_plain_name(n))
                    .map(String::from)
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// A file name of the folder itself (no separators, not `.` or `..`), as
/// a manifest may list: nothing outside the out folder is ever removed.
fn is_plain_name(n: &str) -> bool {
    !n.is_empty() && n != "." && n != ".." && !n.contains(['/', '\\']) && n != MANIFEST
}
