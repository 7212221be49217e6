//! Turning command-line paths into named byte buffers.

use std::io::Read;
use std::path::{Path, PathBuf};

use podgate_core::config::glob_match;

/// Hard cap on one input file; larger files are reported, not read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One input: a display name and its bytes (or why they could not be read).
/// Files found on disk are read later, inside the parallel scan, so reading
/// is spread over all cores like parsing.
pub struct Input {
    pub name: String,
    pub bytes: Result<Vec<u8>, String>,
    /// A file still to be read (then `bytes` is empty until [`Input::read`]).
    path: Option<PathBuf>,
}

impl Input {
    /// An input whose bytes are already in memory.
    pub fn new(name: impl Into<String>, bytes: Result<Vec<u8>, String>) -> Input {
        Input {
            name: name.into(),
            bytes,
            path: None,
        }
    }

    /// A file to read when the scan gets to it.
    pub fn file(path: &Path) -> Input {
        Input {
            name: display(path),
            bytes: Ok(Vec::new()),
            path: Some(path.to_path_buf()),
        }
    }

    /// Read a deferred file now; inputs already in memory are returned as they are.
    pub fn read(self) -> Input {
        match self.path {
            Some(p) => read_file(&p),
            None => self,
        }
    }
}

/// Expand the given paths: files as given (any extension), directories
/// recursively (`*.yaml`, `*.yml`, `*.json`, sorted, symlinked directories not
/// followed, entries matching an `exclude` glob skipped), `-` as stdin.
/// Missing paths become inputs that carry the error.
pub fn collect(paths: &[PathBuf], exclude: &[String]) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            let mut buf = Vec::new();
            let bytes = std::io::stdin()
                .lock()
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read stdin: {e}"))
                .and_then(|_| check_size(buf));
            out.push(Input::new("<stdin>", bytes));
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                let walker = Walker { root: p, exclude };
                walker.walk(p, &mut files, &mut out);
                files.sort();
                out.extend(files.into_iter().map(|f| Input::file(&f)));
            }
            Ok(_) => out.push(Input::file(p)),
            Err(e) => out.push(Input::new(display(p), Err(format!("cannot read: {e}")))),
        }
    }
    out
}

fn check_size(buf: Vec<u8>) -> Result<Vec<u8>, String> {
    if buf.len() as u64 > MAX_FILE_BYTES {
        Err(format!(
            "larger than {} MiB; not read",
            MAX_FILE_BYTES / 1024 / 1024
        ))
    } else {
        Ok(buf)
    }
}

fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn read_file(p: &Path) -> Input {
    Input::new(display(p), read_bounded(p))
}

/// The file's bytes, at most [`MAX_FILE_BYTES`]. The size in the metadata
/// only rejects large regular files early: devices, FIFOs, `/proc` files
/// and `<(...)` pipes report 0, so the read itself is bounded too.
fn read_bounded(p: &Path) -> Result<Vec<u8>, String> {
    let too_large = || format!("larger than {} MiB; not read", MAX_FILE_BYTES / 1024 / 1024);
    let file = std::fs::File::open(p).map_err(|e| format!("cannot read: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_FILE_BYTES {
        return Err(too_large());
    }
    // `len` as a capacity hint only: it is 0 for pipes and may be stale.
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    check_size(buf)
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// A directory walk with exclusions.
struct Walker<'a> {
    root: &'a Path,
    exclude: &'a [String],
}

impl Walker<'_> {
    /// `path` matches an exclusion by its name or its path below the root
    /// (with `/` separators).
    fn excluded(&self, path: &Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let rel = path
            .strip_prefix(self.root)
            .map(|r| {
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        self.exclude
            .iter()
            .any(|g| glob_match(g, &name) || glob_match(g, &rel))
    }

    fn walk(&self, dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Input>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push(Input::new(
                    display(dir),
                    Err(format!("cannot read directory: {e}")),
                ));
                return;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if self.excluded(&path) {
                continue;
            }
            if ft.is_dir() {
                self.walk(&path, files, errors);
            } else if (ft.is_file() || ft.is_symlink()) && is_manifest(&path) {
                // A symlink to a directory with a manifest-like name is skipped by
                // the read (it is not a file) and reported there.
                files.push(path);
            }
        }
    }
}
