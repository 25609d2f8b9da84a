//! The question as text: tidied, stripped of pasted tags, question words masked,
//! greetings recognised, and what kind of thing it asks for (a number, a date).

/// Only this much of a question is analysed: a 10 000-character paste still
/// gets an answer, in bounded time.
pub(super) const MAX_ANALYSED_CHARS: usize = 500;
/// At most this many distinct terms per field go into the query.
const MAX_TERMS: usize = 64;

/// Words that make a question a question; they say nothing about the answer.
/// Longest first, so that 什么时候 is removed before 什么.
const QUESTION_WORDS: &[&str] = &[
    "什么时候",
    "为什么",
    "什么样",
    "怎么样",
    "是什么",
    "有什么",
    "有哪些",
    "是哪些",
    "是哪个",
    "是多少",
    "是谁",
    "什么",
    "怎么",
    "怎样",
    "如何",
    "哪里",
    "哪儿",
    "哪些",
    "哪个",
    "哪位",
    "哪天",
    "哪年",
    "哪家",
    "多少",
    "何时",
    "何地",
    "何处",
    "为何",
    "是否",
    "哪",
    "谁",
    "几",
    "吗",
    "呢",
    "吧",
    "么",
];

/// Function words dropped from the jieba side only (bigrams keep them: they
/// glue useful bigrams together, and dropping them measurably hurt).
pub(super) const STOP_WORDS: &[&str] = &[
    "的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "而", "被", "把", "对", "于",
    "中", "有", "为", "以", "之", "其", "这", "那", "这个", "那个", "一个", "我", "你", "他", "她",
    "它", "我们", "你们", "他们", "请问", "请", "告诉", "一下", "知道", "呀", "啊", "哦", "嗯",
    "得", "地", "着", "过", "给", "让", "会", "能", "要", "想", "说说", "介绍",
];

/// Messages that are a greeting or a plea for help rather than a question.
const GREETINGS: &[&str] = &[
    "你好",
    "您好",
    "你好啊",
    "hi",
    "hello",
    "hey",
    "嗨",
    "哈喽",
    "在吗",
    "在不在",
    "help",
    "帮助",
    "怎么用",
    "使用说明",
    "早上好",
    "晚上好",
    "下午好",
    "谢谢",
    "多谢",
    "start",
];

/// What the question asks for, from its question words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cue {
    Number,
    Time,
    None,
}

/// The question without HTML/XML tags (`<b>`, `</i>`, `<br/>`): pasted markup
/// says nothing about what is asked. Anything else with `<` stays.
pub(super) fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let is_tag = after
            .trim_start_matches('/')
            .starts_with(|c: char| c.is_ascii_alphabetic());
        match after.find('>') {
            Some(close) if is_tag && !after[..close].contains('<') => {
                out.push(' ');
                rest = &after[close + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first [`MAX_TERMS`] distinct terms, in order.
pub(super) fn distinct<'a>(terms: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for term in terms {
        if out.len() == MAX_TERMS {
            break;
        }
        if !out.iter().any(|t| t == term) {
            out.push(term.to_string());
        }
    }
    out
}

/// The question with its question words replaced by spaces, so that neither
/// jieba nor bigrams make terms of them (什么奖 → " 奖", not 么奖).
pub(super) fn mask_question_words(folded: &str) -> String {
    let mut out = folded.to_string();
    for word in QUESTION_WORDS {
        if out.contains(word) {
            out = out.replace(word, &" ".repeat(word.chars().count()));
        }
    }
    out
}

pub(super) fn is_greeting(folded: &str) -> bool {
    let core: String = folded
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .trim_start_matches(['/'])
        .to_string();
    GREETINGS.contains(&core.as_str())
}

pub(super) fn cue_of(folded: &str) -> Cue {
    const TIME: &[&str] = &[
        "何时",
        "什么时候",
        "哪天",
        "哪一天",
        "哪年",
        "哪一年",
        "几月",
        "几号",
        "日期",
        "什么时间",
        "哪个月",
    ];
    const NUMBER: &[&str] = &[
        "多少",
        "几",
        "多大",
        "多长",
        "多高",
        "多远",
        "多久",
        "比例",
        "百分之",
    ];
    if TIME.iter().any(|w| folded.contains(w)) {
        Cue::Time
    } else if NUMBER.iter().any(|w| folded.contains(w)) {
        Cue::Number
    } else {
        Cue::None
    }
}

pub(super) fn has_cue(sentence: &str, cue: Cue) -> bool {
    const NUMERALS: &str = "0123456789一二三四五六七八九十百千万亿两";
    match cue {
        Cue::Number => sentence.chars().any(|c| NUMERALS.contains(c)),
        Cue::Time => {
            sentence.chars().any(|c| c.is_ascii_digit())
                && sentence.chars().any(|c| matches!(c, '年' | '月' | '日'))
        }
        Cue::None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_only() {
        assert_eq!(strip_tags("<b>蓝皮书</b>是<br/>谁"), " 蓝皮书 是 谁");
        assert_eq!(strip_tags("1 < 2 > 0"), "1 < 2 > 0");
        assert_eq!(strip_tags("<<b>x"), "< x");
        assert_eq!(strip_tags("<未闭合"), "<未闭合");
    }
}
