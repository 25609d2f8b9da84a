//! `summit-bot report`: what people asked that the corpus could not answer,
//! which answers got 👎, and how many questions came each day — read from the
//! feedback log, printed as plain text tables.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::feedback;

/// Rows per ranking.
const TOP: usize = 15;
/// Widest question shown, in display columns (a Han char takes two).
const QUESTION_COLUMNS: usize = 48;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("--since {0:?}: expected a number and a unit (30m, 24h, 7d, 4w) or \"all\"")]
    Since(String),
    #[error("no feedback log at {0} (the bot creates it on its first question)")]
    Missing(PathBuf),
    #[error("feedback log {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

/// Parses `7d`, `24h`, `30m`, `2w` or `all` into seconds (`None` = all time).
pub fn parse_since(text: &str) -> Result<Option<i64>, ReportError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    let bad = || ReportError::Since(text.to_string());
    let unit = text.chars().last().ok_or_else(bad)?;
    let number: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let seconds = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    if number <= 0 {
        return Err(bad());
    }
    number.checked_mul(seconds).map(Some).ok_or_else(bad)
}

/// The report over the log at `path` for the last `since` seconds (all if `None`).
pub fn report(path: &Path, since: Option<i64>) -> Result<String, ReportError> {
    if !path.is_file() {
        return Err(ReportError::Missing(path.to_path_buf()));
    }
    let sqlite = |source| ReportError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sqlite)?;
    let from = since.map_or(0, |s| feedback::now() - s);
    render(&conn, from, since).map_err(sqlite)
}

fn render(conn: &Connection, from: i64, since: Option<i64>) -> rusqlite::Result<String> {
    let mut out = String::new();
    let period = match since {
        None => "全部时间".to_string(),
        Some(s) if s % 86_400 == 0 => format!("最近 {} 天", s / 86_400),
        Some(s) if s % 3600 == 0 => format!("最近 {} 小时", s / 3600),
        Some(s) => format!("最近 {} 分钟", s / 60),
    };
    let (questions, answered): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM questions WHERE at >= ?1",
        [from],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (up, down): (i64, i64) = conn.query_row(
        "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) FROM feedback WHERE at >= ?1",
        [from],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let _ = writeln!(out, "summit-bot 报告（{period}）");
    let _ = writeln!(
        out,
        "提问 {questions} 个，已回答 {answered} 个，未回答 {} 个；👍 {up} 个，👎 {down} 个\n",
        questions - answered
    );

    let mut stmt = conn.prepare(
        "SELECT MIN(question), COUNT(*) AS n, MAX(at) FROM questions
         WHERE at >= ?1 AND answered = 0 AND outcome = 'not_found'
         GROUP BY question_hash ORDER BY n DESC, MAX(at) DESC LIMIT ?2",
    )?;
    let rows: Vec<Vec<String>> = stmt
        .query_map(rusqlite::params![from, TOP as i64], |r| {
            Ok(vec![
                clip(&r.get::<_, String>(0)?),
                r.get::<_, i64>(1)?.to_string(),
                day(r.get(2)?),
            ])
        })?
        .collect::<rusqlite::Result<_>>()?;
    out.push_str("未回答的问题（按次数）\n");
    out.push_str(&table(&["问题", "次数", "最近"], &rows));

    let mut stmt = conn.prepare(
        "SELECT top_passage, SUM(vote < 0) AS down, SUM(vote > 0), MAX(question), MAX(reason)
         FROM feedback WHERE at >= ?1
         GROUP BY top_passage HAVING down > 0 ORDER BY down DESC LIMIT ?2",
    )?;
    let rows: Vec<Vec<String>> = stmt
        .query_map(rusqlite::params![from, TOP as i64], |r| {
            Ok(vec![
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?.to_string(),
                r.get::<_, i64>(2)?.to_string(),
                clip(&r.get::<_, Option<String>>(3)?.unwrap_or_default()),
                clip(&r.get::<_, Option<String>>(4)?.unwrap_or_default()),
            ])
        })?
        .collect::<rusqlite::Result<_>>()?;
    out.push_str("\n👎 最多的回答（按引用段落）\n");
    out.push_str(&table(&["段落", "👎", "👍", "问题示例", "原因示例"], &rows));

    let mut stmt = conn.prepare(
        "SELECT date(at, 'unixepoch') AS d, COUNT(*), SUM(answered) FROM questions
         WHERE at >= ?1 GROUP BY d ORDER BY d",
    )?;
    let rows: Vec<Vec<String>> = stmt
        .query_map([from], |r| {
            let n: i64 = r.get(1)?;
            let a: i64 = r.get(2)?;
            Ok(vec![
                r.get::<_, String>(0)?,
                n.to_string(),
                a.to_string(),
                (n - a).to_string(),
            ])
        })?
        .collect::<rusqlite::Result<_>>()?;
    out.push_str("\n每天的提问（UTC）\n");
    out.push_str(&table(&["日期", "提问", "已回答", "未回答"], &rows));
    Ok(out)
}

fn day(at: i64) -> String {
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = at.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `text` on one line, cut to [`QUESTION_COLUMNS`].
fn clip(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = String::new();
    let mut width = 0;
    for c in flat.trim().chars() {
        if width + columns(c) > QUESTION_COLUMNS - 1 {
            out.push('…');
            return out;
        }
        width += columns(c);
        out.push(c);
    }
    out
}

/// Display columns of `c` in a terminal: two for CJK and other wide chars.
fn columns(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

fn width(text: &str) -> usize {
    text.chars().map(columns).sum()
}

/// A left-aligned text table, or "（无）" when there are no rows.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "  （无）\n".to_string();
    }
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from(" ");
        for (cell, w) in cells.iter().zip(&widths) {
            s.push(' ');
            s.push_str(cell);
            s.push_str(&" ".repeat(w - width(cell) + 1));
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_parses_units() {
        assert_eq!(parse_since("7d").unwrap(), Some(7 * 86_400));
        assert_eq!(parse_since("24h").unwrap(), Some(86_400));
        assert_eq!(parse_since("all").unwrap(), None);
        for bad in ["", "7", "d", "-1d", "7y", "七d"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_and_widths() {
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(1_732_147_200), "2024-11-21");
        assert_eq!(width("乌镇a"), 5);
        let t = table(&["问题", "n"], &[vec!["乌镇".into(), "3".into()]]);
        assert!(t.contains("乌镇  3"), "{t}");
    }
}
