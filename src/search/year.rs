//! The year a question narrows to, when it is not the one its articles tell
//! of: "明年的峰会几号开", "去年的峰会在哪天开幕", "2025年乌镇峰会几号开",
//! "when is next year's summit". A paragraph about this year's summit states
//! a date, a place and a theme, so every check of what is asked passes; but
//! it does not answer for another year. The article's date says which year
//! its 今年 is, so "2024年…" is met by any paragraph of a 2024 article.

/// Which year a question asks about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Year {
    /// None in particular, or the present one (今年, this year).
    #[default]
    Any,
    /// The next one (明年, 下一届, next year).
    Next,
    /// The one before (去年, 上一届, last year).
    Last,
    /// A year by number (2025年, in 2023).
    Numbered(u32),
}

const NEXT: &[&str] = &["明年", "下一届", "下届", "下一次", "下次", "下一年"];
const LAST: &[&str] = &[
    "去年",
    "上一届",
    "上届",
    "上一次",
    "上次",
    "前一届",
    "上一年",
];
const ENGLISH_NEXT: &[&str] = &[
    "next year",
    "next summit",
    "next edition",
    "next conference",
];
const ENGLISH_LAST: &[&str] = &[
    "last year",
    "previous year",
    "last summit",
    "previous summit",
    "previous edition",
    "last edition",
];

/// The year `folded` (a folded question) narrows to.
pub(super) fn year_of(folded: &str) -> Year {
    let latin = crate::text::mostly_latin(folded);
    let said = |chinese: &[&str], english: &[&str]| {
        chinese.iter().any(|w| folded.contains(w))
            || (latin && english.iter().any(|w| folded.contains(w)))
    };
    if said(NEXT, ENGLISH_NEXT) {
        return Year::Next;
    }
    if said(LAST, ENGLISH_LAST) {
        return Year::Last;
    }
    numbered_year(folded, latin).map_or(Year::Any, Year::Numbered)
}

/// A year written in digits: 2025年 (or any four digits from 1900 to 2099 in
/// an English question).
fn numbered_year(folded: &str, latin: bool) -> Option<u32> {
    folded
        .match_indices(|c: char| c.is_ascii_digit())
        .map(|(at, _)| at)
        .filter(|&at| at == 0 || !folded.as_bytes()[at - 1].is_ascii_digit())
        .find_map(|at| {
            let digits: String = folded[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let after = &folded[at + digits.len()..];
            let year: u32 = digits.parse().ok()?;
            let is_year = digits.len() == 4
                && (1900..2100).contains(&year)
                && (after.starts_with('年') || latin);
            is_year.then_some(year)
        })
}

/// Whether a passage (`folded`, of an article dated `date`, "2024-11-21")
/// can tell of the `year` asked about.
pub(super) fn is_about(year: Year, folded: &str, date: Option<&str>) -> bool {
    let own = date
        .and_then(|d| d.get(..4))
        .and_then(|y| y.parse::<u32>().ok());
    let names = |y: Option<u32>| y.is_some_and(|y| folded.contains(&y.to_string()));
    match year {
        Year::Any => true,
        Year::Next => NEXT.iter().any(|w| folded.contains(w)) || names(own.map(|y| y + 1)),
        Year::Last => LAST.iter().any(|w| folded.contains(w)) || names(own.map(|y| y - 1)),
        Year::Numbered(y) => own == Some(y) || names(Some(y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_year_asked_about() {
        assert_eq!(year_of("明年的峰会几号开"), Year::Next);
        assert_eq!(year_of("下一届乌镇峰会在哪办"), Year::Next);
        assert_eq!(year_of("when is next year's wuzhen summit?"), Year::Next);
        assert_eq!(year_of("去年的峰会在哪天开幕"), Year::Last);
        assert_eq!(year_of("2025年乌镇峰会几号开"), Year::Numbered(2025));
        assert_eq!(year_of("what was launched in 2023?"), Year::Numbered(2023));
        assert_eq!(year_of("今年峰会几号开"), Year::Any);
        assert_eq!(year_of("421家示范工厂"), Year::Any);
        assert_eq!(year_of("从1000多万种配方中筛选"), Year::Any);
        // Lengths of years are no year.
        assert_eq!(year_of("过去50年里"), Year::Any);
    }

    #[test]
    fn a_passage_tells_of_its_own_year_or_names_another() {
        let date = Some("2024-11-21");
        let passage = "11月19日至22日，2024年世界互联网大会乌镇峰会在浙江桐乡举行";
        assert!(is_about(Year::Any, passage, date));
        assert!(is_about(Year::Numbered(2024), "今年峰会聚焦人工智能", date));
        assert!(!is_about(Year::Numbered(2025), passage, date));
        assert!(!is_about(Year::Next, passage, date));
        assert!(!is_about(Year::Last, passage, date));
        assert!(is_about(Year::Next, "明年峰会将于11月举行", date));
        assert!(is_about(Year::Last, "与2023年相比增长了两成", date));
        assert!(!is_about(Year::Numbered(1990), "该馆于1991年落成", None));
        assert!(is_about(Year::Numbered(1991), "该馆于1991年落成", None));
    }
}
