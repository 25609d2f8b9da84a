//! What kind of fact a question demands — a year, a time, an amount, a
//! count of a thing, an institution, a price, an age, a link — and whether a
//! passage states any fact of that kind. A passage about the right thing that states nothing of
//! the kind asked for does not answer the question: "那份预测是哪年发布的" is
//! not answered by a paragraph about the forecast that gives no year, and
//! "眼镜重多少克" not by one that gives no number. The checks are deliberately
//! lenient (any fact of the kind counts): they only catch passages that
//! cannot hold the answer.

use super::counted::{counted_of, is_counted, Counted};
use super::question::{has_cue, mentions, neighbours, Cue};
use crate::text::mostly_latin;

/// The kind of fact a question asks for, when it names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Demand {
    /// A price, an age or a link (see [`Cue`]).
    Cue(Cue),
    /// A count of pages, people or countries, or a percentage (多少页).
    Counted(Counted),
    /// Which institution or province (哪所大学, 哪家医院, which hospital): the
    /// passage must name one, by one of these words.
    Named(&'static [&'static str]),
    /// Which year (哪年, 哪一年, what year).
    Year,
    /// Which day (几号, 哪天, what date).
    Day,
    /// When (什么时候, 何时, 哪个月, when).
    Time,
    /// How many or how much of something (多少, 多久, how many).
    Amount,
    /// How many, counted in a measure word (几家, 多少种, 几个): the passage
    /// must count in it too ("虚拟李白会说几种语言" is not answered by "一项项").
    Measured(char),
    /// Nothing in particular.
    None,
}

/// The demand of `folded` (a folded question) whose cue is `cue`.
pub(super) fn demand_of(folded: &str, cue: Cue) -> Demand {
    if matches!(cue, Cue::Money | Cue::Age | Cue::Link) {
        return Demand::Cue(cue);
    }
    // A span of days (哪几天, which dates: [`Cue::Days`]) is asked by its days.
    if cue == Cue::Days {
        return Demand::Day;
    }
    let latin = mostly_latin(folded);
    if let Some(counted) = counted_of(folded, latin) {
        return Demand::Counted(counted);
    }
    if let Some(words) = named_of(folded, latin) {
        return Demand::Named(words);
    }
    let asks = |chinese: &[&str], english: &[&str]| {
        chinese
            .iter()
            .chain(english)
            .any(|w| mentions(folded, w, latin))
    };
    if asks(YEAR, &["what year", "which year"]) {
        Demand::Year
    } else if asks(DAY, &["what date", "which day"]) || asks_ji(folded, "号") {
        Demand::Day
    } else if asks(TIME, &["what time"]) || (latin && asks_when(folded)) || asks_ji(folded, "月点")
    {
        Demand::Time
    } else if asks(
        AMOUNT,
        &["how many", "how much", "how long", "what percentage"],
    ) || (asks_ji(folded, MEASURES) && !asks_more_after_ji(folded))
    {
        measure_asked(folded).map_or(Demand::Amount, Demand::Measured)
    } else {
        Demand::None
    }
}

/// Whether an English question asks when: "when" before a verb it asks
/// with (when was, when did, since when), not the "when" of a clause
/// ("When developing its cars, how many formulas did Xiaomi screen?").
fn asks_when(folded: &str) -> bool {
    const ASKING: &[&str] = &[
        "is",
        "was",
        "are",
        "were",
        "did",
        "does",
        "do",
        "will",
        "would",
        "can",
        "could",
        "should",
        "has",
        "have",
        "had",
        "exactly",
        "precisely",
        "",
    ];
    neighbours(folded, "when").any(|(before, after)| ASKING.contains(&after) || before == "since")
}

/// Institutions a which-question can ask for, the words that name one in a
/// passage, and the English word. Only kinds whose names carry the word
/// (清华大学, 协和医院): cities and companies are named without 市 or 公司, so
/// asking for them proves nothing.
const NAMED: &[(&str, &[&str], &str)] = &[
    ("大学", &["大学", "学院"], "university"),
    ("学校", &["学校", "大学", "学院", "中学", "小学"], "school"),
    ("医院", &["医院"], "hospital"),
    ("银行", &["银行"], "bank"),
    ("酒店", &["酒店", "饭店", "宾馆"], "hotel"),
    ("机场", &["机场"], "airport"),
    ("博物馆", &["博物馆"], "museum"),
    ("省", &["省"], "province"),
];

/// The words one of which must name the institution `folded` asks for:
/// 哪 (一) (所/家/个/座/间) 大学, or which/what university.
fn named_of(folded: &str, latin: bool) -> Option<&'static [&'static str]> {
    if latin {
        return NAMED
            .iter()
            .find(|(_, _, english)| {
                mentions(folded, &format!("which {english}"), true)
                    || mentions(folded, &format!("what {english}"), true)
            })
            .map(|&(_, words, _)| words);
    }
    folded.match_indices('哪').find_map(|(at, _)| {
        let rest = &folded[at + '哪'.len_utf8()..];
        let rest = rest.strip_prefix('一').unwrap_or(rest);
        let rest = ["所", "家", "个", "座", "间"]
            .iter()
            .find_map(|m| rest.strip_prefix(m))
            .unwrap_or(rest);
        NAMED
            .iter()
            .find(|(kind, _, _)| rest.starts_with(kind))
            .map(|&(_, words, _)| words)
    })
}

const YEAR: &[&str] = &["哪年", "哪一年", "哪个年份", "什么年份", "几几年"];
const DAY: &[&str] = &["哪天", "哪一天", "哪一日", "什么日子", "几月几日"];
const TIME: &[&str] = &["什么时候", "啥时候", "何时", "什么时间", "啥时间", "哪个月"];
const AMOUNT: &[&str] = &[
    "多少",
    "多久",
    "多长时间",
    "多重",
    "多远",
    "百分之几",
    "占比",
    "几成",
];

/// Measure words and units: 几 before one asks for a count or an amount.
const MEASURES: &str = "个家项种位名次天年岁倍件台款条所座届场期批轮人张部克斤吨米秒万千百亿";

/// Measure words a count is stated in as it is asked (几家 → 421家, 多少种 →
/// 1000多万种). Not 个, which people ask in whatever the answer counts in
/// (几个新玩意儿 → 10项), nor 人 (多少人口; counts of people are
/// [`Counted::People`]), nor lengths of time, dates or ages, checked on their own.
const COUNTED_IN: &str = "家项种位名次件台款条所座届场批轮张部克斤吨米秒倍篇本辆只架颗类套";

/// The measure word of the count asked for (几种, 多少家, 多少个), if any.
fn measure_asked(folded: &str) -> Option<char> {
    let chars: Vec<char> = folded.chars().collect();
    (0..chars.len()).find_map(|i| {
        let next = match chars[i] {
            '几' if i == 0 || chars[i - 1] != '哪' => chars.get(i + 1),
            '少' if i > 0 && chars[i - 1] == '多' => chars.get(i + 1),
            _ => None,
        }?;
        COUNTED_IN.contains(*next).then_some(*next)
    })
}

/// 几 before one of `measures` (几家, 几号) asks for a number; 哪几 asks for a
/// list (哪几点), and 几乎 is no question.
fn asks_ji(folded: &str, measures: &str) -> bool {
    let chars: Vec<char> = folded.chars().collect();
    chars.windows(2).enumerate().any(|(i, pair)| {
        pair[0] == '几' && measures.contains(pair[1]) && (i == 0 || chars[i - 1] != '哪')
    })
}

/// Whether another question word follows the 几 of `folded`: in
/// "几个分论坛主要探讨什么" the 几个 means "the several", what is asked is 什么.
fn asks_more_after_ji(folded: &str) -> bool {
    const OTHERS: &[&str] = &["什么", "啥", "谁", "哪", "怎么", "如何", "为什么", "为何"];
    folded
        .find('几')
        .is_some_and(|at| OTHERS.iter().any(|w| folded[at..].contains(w)))
}

/// Whether `passage` (folded) states any fact of the kind `demand` asks for
/// beyond the numbers the question gives itself (`given`, its [`digit_runs`]).
pub(super) fn is_stated(passage: &str, demand: Demand, given: &[String]) -> bool {
    match demand {
        Demand::None => true,
        Demand::Cue(cue) => has_cue(passage, cue),
        Demand::Counted(counted) => is_counted(passage, counted),
        Demand::Named(words) => words.iter().any(|w| passage.contains(w)),
        Demand::Year => states_year(passage),
        Demand::Day => states_day(passage),
        Demand::Time => states_time(passage),
        Demand::Amount => states_amount(passage, given, None),
        Demand::Measured(measure) => states_amount(passage, given, Some(measure)),
    }
}

/// An amount: a Chinese numeral (近万家, 两种), or a number in digits that is
/// none of a date's (11月19日), a year's (2024年), a name's (5G, 3D) or one
/// the question gives itself ("20个项目里有几个是中国的" is not answered by the
/// paragraph about the 20 projects: the count asked is another). With a
/// `measure`, the amount must be counted in it (1000多万种 for 种).
fn states_amount(passage: &str, given: &[String], measure: Option<char>) -> bool {
    let chars: Vec<char> = passage.chars().collect();
    let counted_in = |end: usize| {
        measure.is_none_or(|m| {
            chars[end..]
                .iter()
                .take(4)
                .find(|c| !"多余几万千百亿".contains(**c))
                .is_some_and(|&c| c == m)
        })
    };
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        if !chars[i].is_ascii_digit() {
            if is_numeral(chars[i]) {
                while i < chars.len() && is_numeral(chars[i]) {
                    i += 1;
                }
                if counted_in(i) {
                    return true;
                }
            } else {
                i += 1;
            }
            continue;
        }
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let next = chars.get(i).copied().unwrap_or(' ');
        let date = "月日号".contains(next) || (start > 0 && chars[start - 1] == '月');
        let year = next == '年' && run.len() >= 3;
        let name = next.is_ascii_alphabetic();
        if !(date || year || name || given.contains(&run)) && counted_in(i) {
            return true;
        }
    }
    false
}

/// The numbers in digits of `text` (20, 421, 2024).
pub(super) fn digit_runs(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter(|run| run.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

/// A digit or a Chinese numeral (一, 十, 万, 两, 半 …).
pub(super) fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "一二三四五六七八九十百千万亿两〇零半".contains(c)
}

/// A year: three or four digits or a Chinese numeral before 年 (2024年, 372年,
/// 嘉靖七年; not the 50年 of a duration), an era (年间, 年代) or a year named
/// relatively (今年).
fn states_year(passage: &str) -> bool {
    const RELATIVE: &[&str] = &[
        "今年", "去年", "明年", "前年", "当年", "同年", "次年", "元年", "年间", "年代",
    ];
    if RELATIVE.iter().any(|w| passage.contains(w)) {
        return true;
    }
    let chars: Vec<char> = passage.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        if c != '年' || i == 0 {
            return false;
        }
        let digits = chars[..i]
            .iter()
            .rev()
            .take_while(|d| d.is_ascii_digit())
            .count();
        (3..=4).contains(&digits) || (digits == 0 && is_numeral(chars[i - 1]))
    })
}

/// A day: a numbered day (20日, 19号, 七月十一) or a day named relatively.
fn states_day(passage: &str) -> bool {
    const RELATIVE: &[&str] = &[
        "今天",
        "昨天",
        "明天",
        "当天",
        "当日",
        "次日",
        "同日",
        "前一天",
    ];
    if RELATIVE.iter().any(|w| passage.contains(w)) {
        return true;
    }
    let chars: Vec<char> = passage.chars().collect();
    chars.windows(2).any(|pair| {
        (is_numeral(pair[0]) && "日号".contains(pair[1]))
            || (pair[0] == '月' && is_numeral(pair[1]))
    })
}

/// A time: a year, a numbered month, day, hour or century (11月, 20日, 19世纪),
/// a period (时期, 年代) or a time named relatively (当天, 目前, 未来).
fn states_time(passage: &str) -> bool {
    const WORDS: &[&str] = &[
        "世纪", "时代", "时期", "期间", "年间", "年代", "朝", "纪", "当天", "当日", "今天", "昨天",
        "明天", "近日", "日前", "此前", "目前", "如今", "现在", "当前", "未来", "过去", "最近",
        "近年", "以来", "之后", "之前", "以后", "以前", "早在", "后来", "当时", "随后", "今后",
    ];
    if states_year(passage) || WORDS.iter().any(|w| passage.contains(w)) {
        return true;
    }
    let chars: Vec<char> = passage.chars().collect();
    chars
        .windows(2)
        .any(|pair| is_numeral(pair[0]) && "年月日号时点".contains(pair[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(question: &str) -> Demand {
        demand_of(question, Cue::None)
    }

    #[test]
    fn names_the_kind_asked_for() {
        assert_eq!(demand("那份预测是哪一年发布的"), Demand::Year);
        assert_eq!(demand("通话什么时候能在手机上用"), Demand::Time);
        assert_eq!(demand("分论坛几点开始"), Demand::Time);
        assert_eq!(demand("峰会今年从几号开到几号"), Demand::Day);
        assert_eq!(demand("几个分论坛主要聚焦于探讨什么"), Demand::None);
        assert_eq!(demand("有几个分论坛"), Demand::Amount);
        assert_eq!(demand("虚拟李白会说几种语言"), Demand::Measured('种'));
        assert_eq!(demand("从多少种配方里挑的"), Demand::Measured('种'));
        assert_eq!(demand("眼镜到底几克重"), Demand::Measured('克'));
        assert_eq!(demand("when does the summit open?"), Demand::Time);
        assert_eq!(demand("and when?"), Demand::Time);
        assert_eq!(
            demand("when developing materials for its cars, what did xiaomi screen?"),
            Demand::None
        );
        assert_eq!(demand("示范工厂有几家"), Demand::Measured('家'));
        assert_eq!(demand("眼镜重多少克"), Demand::Measured('克'));
        assert_eq!(demand("曹振南是哪所大学毕业的"), Demand::Named(NAMED[0].1));
        assert_eq!(
            demand("which hospital uses the model?"),
            Demand::Named(NAMED[2].1)
        );
        assert_eq!(demand("哪个城市"), Demand::None);
    }

    #[test]
    fn lists_and_english_words_inside_chinese_are_no_demand() {
        assert_eq!(demand("校长讲AI最后要确保做到哪几点？"), Demand::None);
        assert_eq!(demand("几乎所有展馆都有ai吗"), Demand::None);
        // An English word in a Chinese question is a name, not a question.
        assert_eq!(demand("when说了什么"), Demand::None);
        assert_eq!(demand("whenever ai"), Demand::None);
    }

    #[test]
    fn passages_state_facts_of_a_kind_or_not() {
        assert!(is_stated("11月20日，峰会在乌镇开幕", Demand::Time, &[]));
        assert!(is_stated("康熙年间形成", Demand::Time, &[]));
        assert!(is_stated(
            "11月19日至22日，大会在乌镇举行",
            Demand::Day,
            &[]
        ));
        assert!(is_stated("燕军于七月十一攻破居庸关", Demand::Day, &[]));
        assert!(!is_stated(
            "今年，峰会将目光聚焦在了人工智能",
            Demand::Day,
            &[]
        ));
        assert!(!is_stated(
            "这项技术让相隔千里也能触手可及",
            Demand::Time,
            &[]
        ));
        assert!(is_stated("王守仁在嘉靖七年", Demand::Year, &[]));
        assert!(is_stated("2024年世界互联网大会", Demand::Year, &[]));
        assert!(!is_stated(
            "在过去的50年里，在未来15到20年里",
            Demand::Year,
            &[]
        ));
        assert!(!is_stated(
            "在多语种混合拾音、降噪等方面取得新突破",
            Demand::Amount,
            &digit_runs("有几项突破")
        ));
        assert!(is_stated("已培育421家示范工厂", Demand::Amount, &[]));
        assert!(is_stated("全国已建成近万家数字化车间", Demand::Amount, &[]));
        assert!(is_stated(
            "全国已建成近万家数字化车间",
            Demand::Measured('家'),
            &[]
        ));
        assert!(is_stated(
            "从1000多万种配方中筛选",
            Demand::Measured('种'),
            &[]
        ));
        assert!(!is_stated(
            "一项项贴近生活的技术与虚拟李白展开对话",
            Demand::Measured('种'),
            &[]
        ));
        // Dates, years, names and the question's own numbers are no answer.
        assert!(!is_stated(
            "11月19日，20个项目获得2024年领先科技奖，5G可编程网络位列其中",
            Demand::Amount,
            &digit_runs("20个项目里有几个是中国的")
        ));
        assert!(is_stated(
            "11月19日，20个项目获得2024年领先科技奖",
            Demand::Amount,
            &digit_runs("有几个项目获奖")
        ));
        assert!(is_stated(
            "中国人民大学校长林尚立",
            Demand::Named(NAMED[0].1),
            &[]
        ));
        assert!(!is_stated(
            "国家高性能计算机工程技术研究中心副主任",
            Demand::Named(NAMED[0].1),
            &[]
        ));
    }
}
