//! Arbitrary bytes → the e5 embedder (question or paragraph): never crashes,
//! always 384 finite floats of unit length. Needs the model at
//! `data/models/e5-small-q4.bin` (`summit-bot model fetch`).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use summit_bot::semantic::{model, Embedder, SemanticSettings, DIM};

fn embedder() -> &'static Embedder {
    static EMBEDDER: OnceLock<Embedder> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(SemanticSettings::default().model_path);
        let path = model::ensure(&path, &mut |line| eprintln!("{line}")).unwrap_or_else(|e| panic!("{e}"));
        Embedder::open(&path).unwrap_or_else(|e| panic!("{e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let embedder = embedder();
    let vector = if mode & 1 == 0 { embedder.embed_query(&text) } else { embedder.embed_passage(&text) };
    assert_eq!(vector.len(), DIM);
    assert!(vector.iter().all(|x| x.is_finite()), "non-finite vector");
    let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "norm {norm}");
});
