//! Counted things: a question asking how many pages, people or countries
//! (多少页, 几位嘉宾, how many countries) or what percentage is not answered by a
//! passage that counts none of them — a paragraph about the report that gives
//! no page count cannot say how long it is, however well it matches the
//! report's name. Lenient like the other demands (any count of the thing
//! counts, and only things whose count is written with their own word are
//! checked), so that a passage that could hold the answer is never refused.

use super::question::mentions;

/// A thing whose count a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counted {
    Pages,
    People,
    Countries,
    Percent,
}

/// Words that count people (3000多名嘉宾, 10万观众).
const PEOPLE: &[&str] = &[
    "人", "名", "位", "嘉宾", "观众", "游客", "员工", "代表", "网民", "用户", "学生", "居民",
    "选手", "访客",
];

/// Words between the question word and the thing (多少参会嘉宾).
const ATTENDING: &[&str] = &["参会", "参展", "参观", "参赛", "到场", "与会", "现场"];

const ENGLISH: &[(&str, Counted)] = &[
    ("pages", Counted::Pages),
    ("people", Counted::People),
    ("persons", Counted::People),
    ("visitors", Counted::People),
    ("attendees", Counted::People),
    ("guests", Counted::People),
    ("participants", Counted::People),
    ("delegates", Counted::People),
    ("users", Counted::People),
    ("employees", Counted::People),
    ("countries", Counted::Countries),
    ("nations", Counted::Countries),
];

/// The counted thing `folded` (a folded question) asks for, if any.
pub(super) fn counted_of(folded: &str, latin: bool) -> Option<Counted> {
    if latin {
        if mentions(folded, "what percentage", true) || mentions(folded, "what percent", true) {
            return Some(Counted::Percent);
        }
        return ENGLISH
            .iter()
            .find(|(word, _)| mentions(folded, &format!("how many {word}"), true))
            .map(|&(_, counted)| counted);
    }
    if ["百分之多少", "百分之几", "多少%", "百分比是多少"]
        .iter()
        .any(|w| folded.contains(w))
    {
        return Some(Counted::Percent);
    }
    ["多少", "几"].iter().find_map(|asks| {
        folded.match_indices(asks).find_map(|(at, _)| {
            if folded[..at].ends_with('哪') {
                return None; // 哪几 asks for a list
            }
            thing_after(&folded[at + asks.len()..])
        })
    })
}

/// The thing named right after a question word, past a measure word (个, 名,
/// 位) and an attending word (参会).
fn thing_after(rest: &str) -> Option<Counted> {
    thing_named(rest).or_else(|| {
        let rest = ["个", "名", "位"]
            .iter()
            .find_map(|m| rest.strip_prefix(m))?;
        thing_named(rest)
    })
}

fn thing_named(rest: &str) -> Option<Counted> {
    let rest = ATTENDING
        .iter()
        .find_map(|w| rest.strip_prefix(w))
        .unwrap_or(rest);
    let mut chars = rest.chars();
    let first = chars.next()?;
    let next = chars.next();
    let next_in = |set: &str| next.is_some_and(|c| set.contains(c));
    match first {
        '页' => Some(Counted::Pages),
        '国' if !next_in("际内产外企有营") && !rest.starts_with("国家级") => {
            Some(Counted::Countries)
        }
        '人' if next_in("口工民类物士员") => None,
        '名' if next_in("字称义次") => None,
        '位' if next_in("置于") => None,
        _ => PEOPLE
            .iter()
            .any(|w| rest.starts_with(w))
            .then_some(Counted::People),
    }
}

/// Whether `passage` (folded) counts the thing: a number followed, within a
/// few characters (22个缔约国, 三十余万人), by its word.
pub(super) fn is_counted(passage: &str, counted: Counted) -> bool {
    let chars: Vec<char> = passage.chars().collect();
    if counted == Counted::Percent {
        return passage.contains("百分之")
            || chars
                .windows(2)
                .any(|w| is_numeral(w[0]) && "%成".contains(w[1]));
    }
    let unit_at = |i: usize| -> bool {
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        match counted {
            Counted::Pages => rest.starts_with('页'),
            Counted::Countries => {
                rest.starts_with('国')
                    && !rest.starts_with("国家级")
                    && !rest
                        .chars()
                        .nth(1)
                        .is_some_and(|c| "际内产外企有营".contains(c))
            }
            Counted::People => PEOPLE.iter().any(|w| rest.starts_with(w)),
            Counted::Percent => false,
        }
    };
    (0..chars.len()).any(|i| {
        let c = chars[i];
        if c.is_ascii_digit() {
            // Past the digits, up to four characters of anything but a clause break.
            let end = (i..chars.len()).find(|&j| !chars[j].is_ascii_digit() && chars[j] != '.');
            let Some(end) = end else { return false };
            (end..chars.len().min(end + 5))
                .take_while(|&j| j == end || !"，。；、：,;".contains(chars[j - 1]))
                .any(unit_at)
        } else if is_chinese_numeral(c) {
            // Past at most two magnitude or measure characters (三十余万人, 六个国家).
            (i + 1..chars.len().min(i + 4))
                .take_while(|&j| j == i + 1 || "个多余万千百亿".contains(chars[j - 1]))
                .any(unit_at)
        } else {
            false
        }
    })
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || is_chinese_numeral(c)
}

fn is_chinese_numeral(c: char) -> bool {
    "一二三四五六七八九十百千万亿两".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_thing_counted() {
        let of = |q: &str| counted_of(q, crate::text::mostly_latin(q));
        assert_eq!(of("这本蓝皮书有多少页"), Some(Counted::Pages));
        assert_eq!(of("今年一共来了多少参会嘉宾"), Some(Counted::People));
        assert_eq!(of("有多少人参加"), Some(Counted::People));
        assert_eq!(of("有几位嘉宾发言"), Some(Counted::People));
        assert_eq!(
            of("共有多少个国家和地区的嘉宾出席"),
            Some(Counted::Countries)
        );
        assert_eq!(of("在百分之多少的工厂里用上了"), Some(Counted::Percent));
        assert_eq!(of("how many visitors came?"), Some(Counted::People));
        // Not a count of pages, people or countries.
        assert_eq!(of("莱索托有几个国际机场"), None);
        assert_eq!(of("有多少人口"), None);
        assert_eq!(of("有多少国家级示范工厂"), None);
        assert_eq!(of("哪几位嘉宾发言了"), None);
        assert_eq!(of("获奖项目有多少个"), None);
    }

    #[test]
    fn passages_count_the_thing_or_not() {
        assert!(is_counted(
            "在50个缔约国中，有22个缔约国不能参与表决",
            Counted::Countries
        ));
        assert!(is_counted(
            "外汇储量世界第六，共六个国家",
            Counted::Countries
        ));
        assert!(is_counted("吸引了三十余万人参观", Counted::People));
        assert!(is_counted("3000多名嘉宾出席", Counted::People));
        assert!(is_counted("在90%以上的示范工厂得到应用", Counted::Percent));
        assert!(!is_counted(
            "蓝皮书由中国网络空间研究院编写",
            Counted::Pages
        ));
        assert!(!is_counted("20个具有国际代表性的项目", Counted::Countries));
        assert!(!is_counted(
            "已培育421家国家级智能制造示范工厂",
            Counted::Countries
        ));
        assert!(!is_counted("开辟了一系列令人兴奋的新可能", Counted::People));
        assert!(!is_counted("与会嘉宾纷纷认为", Counted::People));
    }
}
