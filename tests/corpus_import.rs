//! Golden test of the importer: the seed page imported now must equal the
//! committed `corpus/`, and the repairs the seed needs must be visible in it.

use std::path::Path;

use summit_bot::corpus::{import_raw, write_corpus, Article, BlockKind, Corpus};
use summit_bot::text::is_cjk;

/// The raw newspaper text the committed corpus was imported from.
const SEED: &str = "tests/data/seeds/000_3d05a6fa01f90e66.txt";

/// Paragraphs in the committed slices (tests/data/README.md).
const DRCD_SLICE_PARAGRAPHS: usize = 345;
const CMRC_SLICE_PARAGRAPHS: usize = 331;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The seed text. A missing seed fails: the golden corpus cannot be checked without it.
fn seed() -> String {
    let path = manifest_dir().join(SEED);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the importer's seed {} cannot be read ({e}); it is committed under tests/data/seeds/",
            path.display()
        )
    })
}

fn imported() -> Vec<Article> {
    import_raw(&seed()).expect("the seed imports")
}

fn committed() -> Corpus {
    Corpus::load(&manifest_dir().join("corpus")).expect("corpus/ loads")
}

fn paragraphs(article: &Article) -> Vec<&str> {
    article.texts(BlockKind::Paragraph)
}

fn captions(article: &Article) -> Vec<&str> {
    article.texts(BlockKind::Caption)
}

/// Every block of every imported article.
fn all_blocks(articles: &[Article]) -> Vec<(&str, BlockKind, &str)> {
    articles
        .iter()
        .flat_map(|a| {
            a.blocks
                .iter()
                .map(move |b| (a.id.as_str(), b.kind, b.text.as_str()))
        })
        .collect()
}

/// Regenerates `corpus/` from the seed after a deliberate importer change:
/// `cargo test --test corpus_import -- --ignored regenerate`.
#[test]
#[ignore]
fn regenerate_committed_corpus() {
    let out = manifest_dir().join("corpus");
    for path in write_corpus(&imported(), &out).expect("corpus/ is writable") {
        println!("{}", path.display());
    }
}

#[test]
fn committed_corpus_is_the_import_of_the_seed() {
    let imported = imported();
    let committed = committed();
    assert!(!committed.records);
    assert_eq!(committed.articles.len(), imported.len(), "article count");
    for (now, then) in imported.iter().zip(&committed.articles) {
        assert_eq!(
            now, then,
            "article {} differs from corpus/{}.md",
            now.id, then.id
        );
    }
}

#[test]
fn committed_files_are_exactly_what_write_corpus_writes() {
    let dir = manifest_dir().join("corpus");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus/ exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The operators' alias list lives beside the articles; it is not imported.
        .filter(|name| name != summit_bot::corpus::synonyms::FILE_NAME)
        .collect();
    names.sort();
    let articles = imported();
    let mut expected: Vec<String> = articles.iter().map(|a| format!("{}.md", a.id)).collect();
    expected.sort();
    assert_eq!(
        names, expected,
        "corpus/ must hold only the imported articles (and synonyms.txt)"
    );
    for article in &articles {
        let on_disk = std::fs::read_to_string(dir.join(format!("{}.md", article.id))).unwrap();
        assert_eq!(on_disk, article.to_markdown(), "corpus/{}.md", article.id);
    }
}

#[test]
fn seed_gives_four_articles_with_their_metadata() {
    let articles = imported();
    let summary: Vec<(&str, &str, Option<&str>, Vec<&str>)> = articles
        .iter()
        .map(|a| {
            (
                a.id.as_str(),
                a.title.as_str(),
                a.subtitle.as_deref(),
                a.authors.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "20241121-1",
                "世界互联网大会蓝皮书：我国人工智能与制造业深度融合",
                None,
                vec!["魏一骏", "郑可意"]
            ),
            (
                "20241121-2",
                "从“互联网+”到“AI+”",
                Some("乌镇峰会共话人工智能新发展"),
                vec![]
            ),
            ("20241121-3", "多项新技术亮相", None, vec![]),
            (
                "20241121-4",
                "人工智能助力数字经济发展再上新台阶",
                None,
                vec!["高亢"]
            ),
        ]
    );
    for a in &articles {
        assert_eq!(a.source, "新华社", "{}", a.id);
        assert_eq!(a.place.as_deref(), Some("杭州"), "{}", a.id);
        assert_eq!(a.date.as_deref(), Some("2024-11-21"), "{}", a.id);
    }
    let counts: Vec<(usize, usize)> = articles
        .iter()
        .map(|a| (paragraphs(a).len(), captions(a).len()))
        .collect();
    assert_eq!(counts, [(4, 0), (15, 1), (9, 0), (2, 0)]);
}

#[test]
fn datelines_become_metadata() {
    let articles = imported();
    assert!(paragraphs(&articles[0])[0].starts_with("11月21日，《世界互联网发展报告2024》"));
    assert!(paragraphs(&articles[3])[0].starts_with("当前，人工智能"));
    assert!(paragraphs(&articles[1])
        .last()
        .unwrap()
        .ends_with("联合国副秘书长李军华说。"));
    assert!(paragraphs(&articles[2])
        .last()
        .unwrap()
        .ends_with("感受技术进步的红利。”"));
    for (id, _, text) in all_blocks(&articles) {
        assert!(
            !text.contains("日电") && !text.contains("记者"),
            "{id}: dateline left in {text:?}"
        );
    }
}

#[test]
fn cut_paragraphs_are_joined() {
    let articles = imported();
    let text: Vec<&str> = all_blocks(&articles)
        .into_iter()
        .map(|(_, _, t)| t)
        .collect();
    for joined in [
        "已培育421家国家级智能制造示范工厂，",
        "大规模语言模型百花齐放，推动",
        "是科技服务社会进步的核心要义。”小米集团创始人",
        "期待人工智能与超算领域的结合，",
        "为目标，以保障社会安全、",
        "为用户提供更具针对性、更高效的通信服务，",
        "走进腾讯展台的“裸眼3D通话舱”，屏幕上",
    ] {
        assert_eq!(
            text.iter().filter(|t| t.contains(joined)).count(),
            1,
            "{joined:?} is not one joined paragraph"
        );
    }
    for (id, kind, text) in all_blocks(&articles) {
        if kind == BlockKind::Paragraph {
            let last = text.chars().last().unwrap();
            assert!(
                "。！？”".contains(last),
                "{id}: paragraph still cut: {text:?}"
            );
        }
    }
}

#[test]
fn caption_is_kept_after_the_paragraph_it_interrupted() {
    let articles = imported();
    let blocks = &articles[1].blocks;
    let at = blocks
        .iter()
        .position(|b| b.kind == BlockKind::Caption)
        .expect("a caption");
    assert_eq!(
        blocks[at].text,
        "11月20日，2024年世界互联网大会乌镇峰会在浙江乌镇开幕。新华社发"
    );
    assert!(
        blocks[at - 1].text.contains("核心要义。”"),
        "{:?}",
        blocks[at - 1]
    );
    assert!(blocks[at + 1]
        .text
        .starts_with("在2024年世界互联网大会领先科技奖的评选中"));
}

#[test]
fn no_space_touches_chinese() {
    let articles = imported();
    for (id, _, text) in all_blocks(&articles) {
        let chars: Vec<char> = text.chars().collect();
        for (i, w) in chars.windows(2).enumerate() {
            let spaced = (w[0] == ' ' && is_cjk(w[1])) || (is_cjk(w[0]) && w[1] == ' ');
            assert!(
                !spaced,
                "{id}: space next to Chinese at char {i} of {text:?}"
            );
        }
    }
    let text: Vec<&str> = all_blocks(&articles)
        .into_iter()
        .map(|(_, _, t)| t)
        .collect();
    assert!(text.iter().any(|t| t.contains("董事长兼CEO井贤栋")));
    assert!(text.iter().any(|t| t.contains("在90%以上的示范工厂")));
}

#[test]
fn line_endings_do_not_change_the_import() {
    let crlf = seed().replace('\n', "\r\n");
    assert_eq!(import_raw(&format!("\u{FEFF}{crlf}")).unwrap(), imported());
}

#[test]
fn write_corpus_output_loads_back() {
    let dir = std::env::temp_dir().join(format!("summit-bot-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let articles = imported();
    let written = write_corpus(&articles, &dir.join("nested")).unwrap();
    assert_eq!(written.len(), articles.len());
    assert_eq!(
        Corpus::load(&dir.join("nested")).unwrap().articles,
        articles
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The committed slice of an evaluation corpus (`tests/data/<name>/corpus.jsonl`).
/// A missing file fails the test and names it.
fn load_eval(name: &str) -> Corpus {
    let path = manifest_dir()
        .join("tests/data")
        .join(name)
        .join("corpus.jsonl");
    Corpus::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every record of a JSONL corpus is one article holding one non-empty paragraph
/// under its id, and the ids are unique.
fn assert_one_paragraph_per_record(corpus: &Corpus, expected: usize) {
    assert!(corpus.records);
    assert_eq!(corpus.articles.len(), expected);
    assert!(corpus
        .articles
        .iter()
        .all(|a| a.blocks.len() == 1 && !a.blocks[0].text.is_empty() && !a.title.is_empty()));
    let mut ids: Vec<&str> = corpus.articles.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), expected, "duplicate record ids");
}

#[test]
fn drcd_jsonl_loads() {
    assert_one_paragraph_per_record(&load_eval("drcd"), DRCD_SLICE_PARAGRAPHS);
}

#[test]
fn cmrc2018_jsonl_loads() {
    assert_one_paragraph_per_record(&load_eval("cmrc2018"), CMRC_SLICE_PARAGRAPHS);
}
