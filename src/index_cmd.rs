//! `summit-bot index`: builds (or checks) the on-disk index ahead of time, so
//! that `serve` starts by reopening it instead of indexing a large corpus.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::index::disk::{self, Marker};
use crate::index::IndexError;

/// What `index` did, for its closing summary.
#[derive(Debug)]
pub struct Summary {
    pub dir: PathBuf,
    pub marker: Marker,
    /// False when an index of the same corpus was already there.
    pub rebuilt: bool,
    pub elapsed: Duration,
    /// Bytes of the index directory.
    pub bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} {}",
            if self.rebuilt {
                "built"
            } else {
                "up to date (corpus unchanged):"
            },
            self.dir.display()
        )?;
        writeln!(f, "  documents   {}", self.marker.documents)?;
        writeln!(f, "  paragraphs  {}", self.marker.paragraphs)?;
        writeln!(f, "  time        {:.1} s", self.elapsed.as_secs_f64())?;
        write!(
            f,
            "  size        {:.1} MiB",
            self.bytes as f64 / (1024.0 * 1024.0)
        )
    }
}

/// Builds the index of `corpus` under `root` (or reopens and checks the one
/// there), with a progress bar on stderr while passages are indexed.
pub fn index(root: &Path, corpus: &Path) -> Result<Summary, IndexError> {
    let started = Instant::now();
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} paragraphs ({per_sec}, {eta} left)",
        )
        .expect("template is valid")
        .progress_chars("=> "),
    );
    let opened = disk::open_or_build_with(root, corpus, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let opened = opened?;
    Ok(Summary {
        bytes: disk::size_on_disk(&opened.dir),
        dir: opened.dir,
        marker: opened.marker,
        rebuilt: opened.rebuilt,
        elapsed: started.elapsed(),
    })
}
