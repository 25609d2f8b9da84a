//! Hostile or odd questions get a clear outcome and never a panic.

mod common;

use std::time::{Duration, Instant};

use summit_bot::search::Outcome;

#[test]
fn empty_and_symbol_only_questions_are_empty() {
    let engine = common::summit_engine();
    for q in [
        "",
        "   \n\t ",
        "？？？",
        "😀🎉🚀",
        "\u{0}\u{7}\u{1b}",
        "…… ——",
    ] {
        assert_eq!(engine.ask(q).outcome, Outcome::Empty, "{q:?}");
    }
}

#[test]
fn greetings_get_help() {
    let engine = common::summit_engine();
    for q in ["你好", "你好！", "Hello", "/help", "帮助"] {
        assert_eq!(engine.ask(q).outcome, Outcome::Greeting, "{q:?}");
    }
}

#[test]
fn query_syntax_is_plain_text() {
    let engine = common::summit_engine();
    for q in ["AND OR ( \" :", "*?~^[]{}!-+", "\"\"\"", "NOT NOT"] {
        let answer = engine.ask(q);
        assert_ne!(answer.outcome, Outcome::Answered, "{q:?}");
    }
    // Operators and fields are read as words, so what is left is an ordinary question.
    for q in [
        "乌镇峰会 AND (在哪里 OR 举行) \"开幕\"",
        "title:乌镇 AND (峰会 OR \"开幕",
    ] {
        assert!(engine.ask(q).answered(), "{q:?}");
    }
}

#[test]
fn html_in_questions_is_just_text() {
    let engine = common::summit_engine();
    let answer = engine.ask("<b>蓝皮书</b>是<i>哪个</i>机构编写的<br/>？");
    assert!(answer.answered());
    assert!(answer.passages[0].quote.contains("中国网络空间研究院"));
}

#[test]
fn ten_thousand_characters_answer_quickly() {
    let engine = common::summit_engine();
    let long = "蓝皮书是哪个机构编写的？".repeat(1000);
    assert!(long.chars().count() >= 10_000);
    let started = Instant::now();
    let answer = engine.ask(&long);
    // Not a benchmark: a bound that only a runaway (unbounded analysis) breaks.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(answer.answered());
    let noise: String = (0..10_000)
        .map(|i| char::from_u32(0x4E00 + (i * 7919) % 20000).unwrap())
        .collect();
    let _ = engine.ask(&noise);
}

#[test]
fn mixed_scripts_emoji_and_controls_do_not_panic() {
    let engine = common::summit_engine();
    for q in [
        "AI+AR眼镜是谁研发的😀？",
        "ＡＩ＋ＡＲ眼鏡是誰研發的？",
        "5G\u{0}可编程\u{202e}网络",
        "🇨🇳乌镇\u{200b}峰会",
        "a\r\nb\r\n蓝皮书",
    ] {
        let _ = engine.ask(q);
    }
    assert!(engine.ask("ＡＩ＋ＡＲ眼鏡是誰研發的？").answered());
}
