//! The question as text: tidied, stripped of pasted tags, question words masked,
//! greetings recognised, and what kind of thing it asks for (a number, a date).

use crate::text::mostly_latin;

/// Only this much of a question is analysed: a 10 000-character paste still
/// gets an answer, in bounded time.
pub(super) const MAX_ANALYSED_CHARS: usize = 500;
/// At most this many distinct terms per field go into the query.
const MAX_TERMS: usize = 64;

/// Words that make a question a question; they say nothing about the answer.
/// Standard and colloquial forms alike (什么/啥, 怎么/咋, 为什么/干嘛, 几号,
/// 多大, 咋样, 说了啥 …): people ask in chat the way they talk. Masked as
/// substrings, longest first, so they make neither words nor bigrams; only
/// forms that never occur inside content words belong here.
const QUESTION_WORDS: &[&str] = &[
    // what / which / who
    "什么样",
    "是什么",
    "有什么",
    "叫什么",
    "干什么",
    "做什么",
    "什么",
    "是啥",
    "叫啥",
    "有啥",
    "干啥",
    "做啥",
    "啥样",
    "啥子",
    "啥玩意儿",
    "啥玩意",
    "啥",
    "哪些",
    "是哪些",
    "有哪些",
    "哪个",
    "是哪个",
    "哪位",
    "哪家",
    "哪里",
    "哪儿",
    "哪边",
    "哪",
    "是谁",
    "谁家",
    "谁",
    // how / why / whether
    "怎么样",
    "怎么回事",
    "怎么看",
    "怎么说",
    "怎么",
    "怎样",
    "如何",
    "咋样",
    "咋回事",
    "咋看",
    "咋说",
    "咋整",
    "咋办",
    "咋",
    "为什么",
    "为啥",
    "为何",
    "干嘛",
    "干吗",
    "图啥",
    "是否",
    "是不是",
    "有没有",
    "能不能",
    "会不会",
    "要不要",
    "算不算",
    "可不可以",
    "对不对",
    "行不行",
    // when / how much
    "什么时候",
    "啥时候",
    "啥时",
    "何时",
    "何地",
    "何处",
    "几时",
    "多会儿",
    "哪天",
    "哪一天",
    "哪年",
    "哪一年",
    "几月",
    "几号",
    // a span asked (几号到几号): the 到 between is no content word
    "几号到几号",
    "几号至几号",
    "几号开到几号",
    "几日到几日",
    "几日至几日",
    "哪天到哪天",
    "几点",
    "多少",
    "多大",
    "多长",
    "多久",
    "多远",
    "多高",
    "几个",
    "几位",
    "几家",
    "几项",
    "几",
    "说了啥",
    "讲了啥",
    "聊了啥",
    "说了什么",
    "讲了什么",
    // Cantonese (written in Hong Kong chats): question words, and particles
    // that no Mandarin word holds
    "乜嘢",
    "咩嘢",
    "做咩",
    "咩",
    "乜",
    "边个",
    "边度",
    "边啲",
    "边间",
    "边位",
    "几多",
    "点解",
    "点样",
    "系咪",
    "系唔系",
    "有冇",
    "嘅",
    "咗",
    "喺",
    "嗰",
    "啲",
    "嘢",
    "佢哋",
    "佢",
    "冇",
    "唔",
    "嚟",
    "噉",
    "喎",
    "囉",
    "㗎",
    // particles that end a question
    "到底",
    "究竟",
    "吗",
    "呢",
    "吧",
    "么",
    "嘛",
    "呗",
    "咯",
];

/// Words dropped from the jieba side only (bigrams keep them: they glue
/// useful bigrams together, and dropping them measurably hurt): function
/// words, and the fillers of chat (整, 玩意, 说人话, 听说, 大佬 …) that say
/// how someone talks, not what they ask about.
const STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "是",
    "在",
    "和",
    "与",
    "及",
    "或",
    "也",
    "都",
    "就",
    "而",
    "被",
    "把",
    "对",
    "于",
    "中",
    "有",
    "为",
    "以",
    "之",
    "其",
    "这",
    "那",
    "这个",
    "那个",
    "一个",
    "我",
    "你",
    "他",
    "她",
    "它",
    "我们",
    "你们",
    "他们",
    "请问",
    "请",
    "告诉",
    "一下",
    "知道",
    "呀",
    "啊",
    "哦",
    "嗯",
    "得",
    "地",
    "着",
    "过",
    "给",
    "让",
    "会",
    "能",
    "要",
    "想",
    "说说",
    "介绍",
    // chat fillers
    "整",
    "整个",
    "搞",
    "弄",
    "玩意",
    "玩意儿",
    "东西",
    "说人话",
    "人话",
    "听说",
    "据说",
    "好像",
    "貌似",
    "感觉",
    "觉得",
    "其实",
    "真的",
    "到底",
    "究竟",
    "大佬",
    "大佬们",
    "各位",
    "大家",
    "有人",
    "求问",
    "问下",
    "问问",
    "请教",
    "麻烦",
    "俩",
    "仨",
    "那俩",
    "这俩",
    "那些",
    "这些",
    "那边",
    "这边",
    "那种",
    "这种",
    "那位",
    "这位",
    "一点",
    "点",
    "点儿",
    "些",
    "个",
    "啦",
    "哇",
    "诶",
    "欸",
    "噢",
    "哎",
    "呐",
    "嘿",
    "哈",
    "哈哈",
    "图个",
    "喊",
    "出来",
    "帮",
    "帮人",
    "能给",
    "说",
    "讲",
    "提到",
    "提及",
    "主要",
    "一起",
    "最",
];

/// English words that carry no content (the corpus is Chinese; English
/// questions are matched by their names and numbers, and by the semantic
/// retriever).
pub(super) const ENGLISH_STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "by",
    "with",
    "about",
    "as",
    "into",
    "over",
    "under",
    "and",
    "or",
    "but",
    "not",
    "no",
    "any",
    "some",
    "all",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "there",
    "their",
    "they",
    "them",
    "he",
    "she",
    "his",
    "her",
    "we",
    "our",
    "you",
    "your",
    "i",
    "me",
    "my",
    "so",
    "than",
    "then",
    "too",
    "very",
    "just",
    "also",
    "up",
    "out",
    "if",
    "more",
    "most",
    "much",
    "many",
    "such",
    "say",
    "says",
    "said",
    "tell",
    "mention",
    "mentioned",
    "according",
    "please",
    "year",
    "this",
    "yes",
];

/// Whether `word` is one of [`STOP_WORDS`] (a set: every word of every
/// question is asked).
pub(super) fn is_stop_word(word: &str) -> bool {
    static SET: std::sync::LazyLock<rustc_hash::FxHashSet<&str>> =
        std::sync::LazyLock::new(|| STOP_WORDS.iter().copied().collect());
    SET.contains(word)
}

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
    /// Which days, a span (哪几天, 从几号到几号, which days): met by a range
    /// of days (19日至22日), not by one date.
    Days,
    /// A price or an amount of money (多少钱, 价格, 票价 …).
    Money,
    /// Someone's age (多大了, 几岁, 年龄 …).
    Age,
    /// Where to get something online (下载, 链接, 官网, PDF …).
    Link,
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
    let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let mut out: Vec<String> = Vec::new();
    for term in terms {
        if out.len() == MAX_TERMS {
            break;
        }
        if seen.insert(term) {
            out.push(term.to_string());
        }
    }
    out
}

/// Which chars a text has, as a 128-bit set by code point: a word whose
/// first char is not in it cannot occur in the text. Rules most cue and
/// question words out of a question without a substring search (the lists
/// are long, the question short).
#[derive(Clone, Copy)]
struct CharSet(u128);

impl CharSet {
    fn of(text: &str) -> CharSet {
        CharSet(text.chars().fold(0, |set, c| set | CharSet::bit(c)))
    }

    fn bit(c: char) -> u128 {
        1 << (c as u32 % 128)
    }

    /// False only when `word` cannot occur in the text.
    fn may_hold(self, word: &str) -> bool {
        word.chars()
            .next()
            .is_none_or(|c| self.0 & CharSet::bit(c) != 0)
    }
}

/// The question with its question words replaced by spaces, so that neither
/// jieba nor bigrams make terms of them (什么奖 → " 奖", not 么奖).
pub(super) fn mask_question_words(folded: &str) -> String {
    static LONGEST_FIRST: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
        let mut words = QUESTION_WORDS.to_vec();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words
    });
    let mut out = mask_english_stop_words(folded);
    // Masking only takes chars away: what `folded` lacks, `out` lacks too.
    let chars = CharSet::of(folded);
    for word in LONGEST_FIRST.iter() {
        if chars.may_hold(word) && out.contains(word) {
            out = out.replace(word, &" ".repeat(word.chars().count()));
        }
    }
    out
}

/// `folded` with its English stop words (whole ASCII words) replaced by
/// spaces, and the clitic of a contraction or possessive ('s, n't, 're …):
/// left in, "GSMA's" and "what's" would give the question a unit "s" that no
/// passage holds, weighing as much as a name.
fn mask_english_stop_words(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let (base, clitic) = match word.find(['\'', '’']) {
            Some(at) => word.split_at(at),
            None => (word.as_str(), ""),
        };
        let negated = clitic.len() > 1 && base.ends_with('n') && clitic.ends_with('t');
        let stop = |w: &str| ENGLISH_STOP_WORDS.contains(&w);
        if stop(base) || (negated && stop(&base[..base.len() - 1])) {
            out.extend(std::iter::repeat_n(' ', base.chars().count()));
        } else {
            out.push_str(base);
        }
        out.extend(std::iter::repeat_n(' ', clitic.chars().count()));
        word.clear();
    };
    for c in folded.chars() {
        if c.is_ascii_alphabetic() || (matches!(c, '\'' | '’') && !word.is_empty()) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
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
    const MONEY: &[&str] = &[
        "多少钱",
        "几块钱",
        "价格",
        "价钱",
        "售价",
        "票价",
        "定价",
        "费用",
        "收费",
        "多贵",
        "how much",
    ];
    const AGE: &[&str] = &[
        "多大了",
        "多大年纪",
        "几岁",
        "多少岁",
        "年龄",
        "年纪",
        "how old",
    ];
    // A sum of money asked for by what it is (奖金有多少, 学费几千).
    const MONEY_NOUNS: &[&str] = &[
        "奖金",
        "奖励金",
        "工资",
        "薪水",
        "薪资",
        "月薪",
        "年薪",
        "学费",
        "租金",
        "房租",
        "门票",
        "报名费",
        "罚款",
        "罚金",
        "赔偿金",
        "补贴",
        "预算",
        "花费",
        "票钱",
    ];
    const AMOUNT: &[&str] = &["多少", "几", "多高"];
    const LINK: &[&str] = &[
        "下载", "链接", "网址", "官网", "网站", "pdf", "download", "link", "url", "website",
    ];
    let chars = CharSet::of(folded);
    let latin = mostly_latin(folded);
    let any = |words: &[&str]| {
        words
            .iter()
            .any(|w| chars.may_hold(w) && mentions(folded, w, latin))
    };
    let money_noun = any(MONEY_NOUNS) && any(AMOUNT);
    if any(MONEY) || money_noun || (latin && asks_price_in_english(folded)) {
        Cue::Money
    } else if any(LINK) {
        Cue::Link
    } else if any(AGE) {
        Cue::Age
    } else if asks_for_days(folded, latin) {
        Cue::Days
    } else if any(TIME) {
        Cue::Time
    } else if any(NUMBER) {
        Cue::Number
    } else {
        Cue::None
    }
}

/// Whether `folded` asks for a span of days: 哪几天, 哪些天, 几号到几号,
/// 从几号, which days, from when.
fn asks_for_days(folded: &str, latin: bool) -> bool {
    const SPANS: &[&str] = &[
        "哪几天",
        "哪几日",
        "哪几号",
        "哪些天",
        "哪些日子",
        "从几号",
        "从哪天",
        "几号到",
        "几号至",
        "几号开到",
        "哪天到",
        "哪天至",
        "which days",
        "what days",
        "which dates",
        "what dates",
        "from when",
    ];
    SPANS.iter().any(|w| mentions(folded, w, latin))
}

/// A span of days: 19日至22日, 19号到22号, 19-22日.
fn states_day_span(sentence: &str) -> bool {
    let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十".contains(c);
    let day = |c: char| matches!(c, '日' | '号');
    let chars: Vec<char> = sentence.chars().collect();
    (2..chars.len().saturating_sub(1)).any(|i| {
        if !matches!(chars[i], '至' | '到' | '-' | '—' | '~' | '－') || !numeral(chars[i + 1])
        {
            return false;
        }
        let after_day = || {
            chars[i + 1..]
                .iter()
                .find(|&&c| !numeral(c))
                .is_some_and(|&c| day(c))
        };
        (day(chars[i - 1]) && numeral(chars[i - 2])) || (numeral(chars[i - 1]) && after_day())
    })
}

/// Whether the folded question mentions `word`. English words count as whole
/// words, and only in an English question (`latin`): in a Chinese one they
/// are names and terms (Christopher Price is no price) — except PDF.
pub(super) fn mentions(folded: &str, word: &str, latin: bool) -> bool {
    if !word.is_ascii() {
        return folded.contains(word);
    }
    (latin || word == "pdf")
        && folded.match_indices(word).any(|(at, _)| {
            let before = folded[..at].chars().next_back();
            let after = folded[at + word.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric())
                && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        })
}

/// The words before and after each whole-word occurrence of `word` in
/// `folded` (an English question), without punctuation; "" at either end.
pub(super) fn neighbours<'a>(
    folded: &'a str,
    word: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let bare = |w: &'a str| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '\'');
    folded.match_indices(word).filter_map(move |(at, _)| {
        let (before, after) = (&folded[..at], &folded[at + word.len()..]);
        let whole = !before.ends_with(|c: char| c.is_ascii_alphanumeric())
            && !after.starts_with(|c: char| c.is_ascii_alphanumeric());
        whole.then(|| {
            (
                bare(before.split_whitespace().next_back().unwrap_or("")),
                bare(after.split_whitespace().next().unwrap_or("")),
            )
        })
    })
}

/// The word before each whole-word occurrence of `word` in `folded`.
pub(super) fn words_before<'a>(folded: &'a str, word: &'a str) -> impl Iterator<Item = &'a str> {
    neighbours(folded, word).map(|(before, _)| before)
}

/// Whether an English question asks a price: "the price", "what price",
/// "how much does it cost" — not a surname (Christopher Price says …).
fn asks_price_in_english(folded: &str) -> bool {
    const BEFORE_PRICE: &[&str] = &[
        "the",
        "a",
        "its",
        "their",
        "his",
        "her",
        "retail",
        "ticket",
        "selling",
        "sale",
        "entry",
        "admission",
        "unit",
        "market",
        "asking",
        "what",
        "what's",
        "whats",
        "which",
        "any",
        "starting",
        "launch",
    ];
    const BEFORE_COST: &[&str] = &[
        "it", "they", "does", "did", "do", "will", "would", "the", "total", "to", "what", "what's",
        "whats",
    ];
    words_before(folded, "price").any(|w| BEFORE_PRICE.contains(&w))
        || words_before(folded, "prices").any(|w| BEFORE_PRICE.contains(&w))
        || words_before(folded, "cost").any(|w| BEFORE_COST.contains(&w))
        || words_before(folded, "costs").any(|w| BEFORE_COST.contains(&w))
}

pub(super) fn has_cue(sentence: &str, cue: Cue) -> bool {
    let numeral = |c: char| {
        matches!(
            c,
            '0'..='9'
                | '一'
                | '二'
                | '三'
                | '四'
                | '五'
                | '六'
                | '七'
                | '八'
                | '九'
                | '十'
                | '百'
                | '千'
                | '万'
                | '亿'
                | '两'
        )
    };
    match cue {
        Cue::Number => sentence.chars().any(numeral),
        // A date: a number right before 年, 月, 日 or 号 (the 5 of 5G and the
        // 年 of 每一年 make none).
        Cue::Time => sentence
            .chars()
            .zip(sentence.chars().skip(1))
            .any(|(a, b)| numeral(a) && matches!(b, '年' | '月' | '日' | '号')),
        Cue::Days => states_day_span(sentence),
        Cue::Money => {
            sentence
                .chars()
                .any(|c| matches!(c, '元' | '$' | '¥' | '￥' | '€' | '£'))
                || sentence.contains("美金")
                || sentence.contains("块钱")
        }
        Cue::Age => {
            sentence.contains('岁') || sentence.contains("年龄") || sentence.contains("出生")
        }
        Cue::Link => [
            "http",
            "www.",
            ".com",
            ".cn",
            ".org",
            "网址",
            "官网",
            "网站",
            "下载",
            "链接",
            "二维码",
            "扫码",
        ]
        .iter()
        .any(|w| sentence.contains(w)),
        Cue::None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_question_forms_standard_and_colloquial() {
        assert_eq!(
            mask_question_words("蓝皮书叫啥名")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["蓝皮书", "名"]
        );
        assert!(!mask_question_words("乌镇峰会是几号开幕的").contains('几'));
        assert_eq!(
            mask_question_words("what does the report say about ai")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["report", "ai"]
        );
        // Content words holding a masked form's chars stay whole.
        assert!(mask_question_words("整合到什么程度").contains("整合"));
        // Cantonese particles and question words make no terms.
        let masked = mask_question_words("洪曜庄喺分论坛上话人工智能开辟咗乜嘢");
        assert!(!masked.contains('喺') && !masked.contains('咗') && !masked.contains("乜嘢"));
        assert!(masked.contains("洪曜庄") && masked.contains("开辟"));
    }

    #[test]
    fn money_is_asked_by_price_words_or_by_a_sum_and_an_amount() {
        assert_eq!(cue_of("门票多少钱"), Cue::Money);
        assert_eq!(cue_of("领先科技奖的奖金有多少？"), Cue::Money);
        assert_eq!(cue_of("学费一年几万"), Cue::Money);
        // A sum named without asking its amount is no money question.
        assert_ne!(cue_of("奖金发给了谁"), Cue::Money);
        assert_ne!(
            cue_of("christopher price说5g可编程网络离不开什么的支撑"),
            Cue::Money
        );
        assert_eq!(cue_of("what is the price of a ticket?"), Cue::Money);
        assert_eq!(cue_of("how much does it cost?"), Cue::Money);
        // A surname is no price.
        assert_ne!(
            cue_of("what challenges does ericsson's christopher price see?"),
            Cue::Money
        );
        assert_ne!(cue_of("what did the costume look like?"), Cue::Money);
        assert!(has_cue("奖金为100万元", Cue::Money));
        assert!(!has_cue("20个项目获得领先科技奖", Cue::Money));
    }

    #[test]
    fn clitics_of_english_words_are_no_terms() {
        let masked = mask_english_stop_words("what's the gsma's plan? i don't know xiaomi’s");
        let words: Vec<&str> = masked.split_whitespace().collect();
        assert_eq!(words, ["gsma", "plan?", "know", "xiaomi"]);
        assert_eq!(
            masked.chars().count(),
            "what's the gsma's plan? i don't know xiaomi’s"
                .chars()
                .count()
        );
    }

    #[test]
    fn a_span_of_days_is_asked_for_and_stated() {
        for q in [
            "峰会是哪几天举办的",
            "今年峰会是从几号开到几号的呀",
            "which days was it held",
            "on which dates was the summit held?",
        ] {
            assert_eq!(cue_of(q), Cue::Days, "{q}");
        }
        assert_eq!(cue_of("峰会哪天开幕"), Cue::Time);
        for span in [
            "11月19日至22日，峰会在桐乡举行",
            "19号到22号",
            "会期为19-22日",
        ] {
            assert!(has_cue(span, Cue::Days), "{span}");
        }
        for single in ["11月20日，峰会开幕", "5g到6g", "2024年至今", "第1至3名"] {
            assert!(!has_cue(single, Cue::Days), "{single}");
        }
    }

    #[test]
    fn links_are_asked_for_and_stated() {
        assert_eq!(cue_of("蓝皮书全文去哪下载 有pdf吗"), Cue::Link);
        assert_eq!(cue_of("where can i download the report"), Cue::Link);
        assert!(has_cue("报告全文可在大会官网下载", Cue::Link));
        assert!(!has_cue("蓝皮书由中国网络空间研究院编写", Cue::Link));
    }

    #[test]
    fn strips_tags_only() {
        assert_eq!(strip_tags("<b>蓝皮书</b>是<br/>谁"), " 蓝皮书 是 谁");
        assert_eq!(strip_tags("1 < 2 > 0"), "1 < 2 > 0");
        assert_eq!(strip_tags("<<b>x"), "< x");
        assert_eq!(strip_tags("<未闭合"), "<未闭合");
    }
}
