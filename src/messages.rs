//! Every sentence the bot says to people, in one place (the audience reads
//! Chinese; code and logs stay English). A question asked in English gets the
//! bot's own sentences in English around the Chinese quote.

use crate::index::ArticleInfo;

pub const NOT_FOUND: &str = "语料中没有找到相关内容。";
pub const EMPTY_QUESTION: &str = "请输入一个问题，例如：乌镇峰会在哪里举行？";
pub const TOO_LONG: &str = "问题太长了，请缩短到 500 字以内再问一次。";
pub const ANSWER_PREFIX: &str = "答：";
pub const MORE_SOURCES: &str = "其他来源：";
pub const NON_TEXT: &str = "目前只能回答文字提问，请直接输入问题。";
pub const BUSY: &str = "提问太频繁了，请慢一点，稍后再问。";
pub const ERROR: &str = "抱歉，处理问题时出错了，请稍后再试。";

/// The language of the bot's own sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// English for a question written mostly in Latin letters, else Chinese.
    pub fn of_question(question: &str) -> Lang {
        if crate::text::mostly_latin(question) && crate::text::latin_letters(question) >= 3 {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// From a Telegram user's `language_code` ("en", "en-GB" → English; Chinese otherwise).
    pub fn of_language_code(code: Option<&str>) -> Lang {
        match code {
            Some(code) if code.to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

pub fn answer_prefix(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => ANSWER_PREFIX,
        Lang::En => "Answer (quoted from the Chinese report): ",
    }
}

pub fn more_sources(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => MORE_SOURCES,
        Lang::En => "More sources:",
    }
}

pub fn empty_question(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => EMPTY_QUESTION,
        Lang::En => "Please send a question, e.g. Where was the Wuzhen Summit held?",
    }
}

/// The not-found reply in `lang`.
pub fn not_found_in(lang: Lang, articles: &[ArticleInfo]) -> String {
    match lang {
        Lang::Zh => not_found(articles),
        Lang::En => format!(
            "Nothing in the collected reports answers that. I can only answer from {} news \
             reports on the 2024 World Internet Conference Wuzhen Summit (in Chinese); send \
             /sources for the list.",
            articles.len()
        ),
    }
}

/// /start and /help in `lang`.
pub fn help_in(
    lang: Lang,
    articles: &[ArticleInfo],
    examples: &[String],
    bot_username: Option<&str>,
) -> String {
    match lang {
        Lang::Zh => help(articles, examples, bot_username),
        Lang::En => {
            let mut out = format!(
                "Hello! I answer questions about the 2024 World Internet Conference Wuzhen \
                 Summit by quoting its news reports ({} articles, in Chinese), always with the \
                 source. Send /sources for the list.\n\nPrivate chat: just send a question.\n",
                articles.len()
            );
            match bot_username {
                Some(name) => out.push_str(&format!(
                    "Groups: /ask your question, @{name} your question, or reply to my message.\n"
                )),
                None => out.push_str(
                    "Groups: /ask your question, or mention me, or reply to my message.\n",
                ),
            }
            out.push_str("\nYou can ask in English or Chinese, e.g.:\n• What did the blue book say about AI and manufacturing?");
            for e in examples.iter().take(2) {
                out.push_str(&format!("\n• {e}"));
            }
            out
        }
    }
}

/// What the corpus covers: one line per article, for "not found", /help and /sources.
pub fn coverage(articles: &[ArticleInfo]) -> String {
    let mut out = format!(
        "目前收录 {} 篇 2024 年世界互联网大会乌镇峰会相关报道：\n",
        articles.len()
    );
    for line in source_lines(articles) {
        out.push_str(&line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// 《标题》（新华社 2024-11-21）, one per article.
pub fn source_lines(articles: &[ArticleInfo]) -> Vec<String> {
    articles
        .iter()
        .map(|a| {
            let origin: Vec<&str> = [a.source.as_str(), a.date.as_deref().unwrap_or("")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            if origin.is_empty() {
                format!("• 《{}》", a.title)
            } else {
                format!("• 《{}》（{}）", a.title, origin.join(" "))
            }
        })
        .collect()
}

/// The not-found reply: say so, then what the corpus covers (at most a few titles).
pub fn not_found(articles: &[ArticleInfo]) -> String {
    let shown = &articles[..articles.len().min(8)];
    let mut out = format!(
        "{NOT_FOUND}我只能根据收录的新闻报道回答问题。\n{}",
        coverage(shown)
    );
    if articles.len() > shown.len() {
        out.push_str(&format!(
            "\n……共 {} 篇，发送 /sources 查看全部。",
            articles.len()
        ));
    }
    out
}

/// /start and /help (also the reply to greetings).
pub fn help(articles: &[ArticleInfo], examples: &[String], bot_username: Option<&str>) -> String {
    let mut out = String::from(
        "你好！我是乌镇峰会问答机器人：根据 2024 年世界互联网大会乌镇峰会的新闻报道回答问题，\
         每个回答都引用原文段落并注明出处。\n\n",
    );
    out.push_str(&format!(
        "收录 {} 篇报道，发送 /sources 查看列表。\n\n",
        articles.len()
    ));
    out.push_str("私聊：直接发送问题。\n");
    match bot_username {
        Some(name) => out.push_str(&format!(
            "群聊：发送 /ask 问题，或 @{name} 问题，或回复我的消息提问。\n"
        )),
        None => out.push_str("群聊：发送 /ask 问题，或 @我 提问，或回复我的消息提问。\n"),
    }
    if !examples.is_empty() {
        out.push_str("\n可以这样问：\n");
        for e in examples.iter().take(3) {
            out.push_str(&format!("• {e}\n"));
        }
    }
    out.trim_end().to_string()
}

/// /about.
pub fn about(passages: usize, articles: usize) -> String {
    format!(
        "summit-bot {}：基于检索的问答机器人，只引用收录的新闻原文（{articles} 篇报道，{passages} 个段落），\
         不生成内容；找不到相关内容时会直接说明。",
        env!("CARGO_PKG_VERSION")
    )
}

/// The one reply a chat outside `[access] allowed_chats` gets.
pub const NOT_ALLOWED: &str = "抱歉，这个机器人目前只为指定的聊天提供服务。";

/// The admin's /reload succeeded.
pub fn reloaded(articles: usize, paragraphs: usize) -> String {
    format!("已重新加载语料：{articles} 篇报道，{paragraphs} 个段落。")
}

/// The admin's /reload failed; the old corpus stays in use.
pub fn reload_failed(error: &str) -> String {
    format!("重新加载失败：{error}\n仍在使用原来的语料。")
}

/// A button press whose data is not ours (altered, or signed with a key the
/// bot no longer has): nothing is done.
pub const BUTTON_INVALID: &str = "这个按钮已过期或无效，请重新提问。";

/// The handler failed on this message (a bug): a short apology.
pub const HANDLER_FAILED: &str = "抱歉，处理这条消息时出错了，请稍后再试。";

/// Labels of the buttons under an answer: more sources, the paragraphs around
/// the quote. English under an answer to an English question.
pub fn button_more(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "更多来源",
        Lang::En => "More sources",
    }
}

pub fn button_context(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "上下文",
        Lang::En => "Context",
    }
}

/// Header of the page a "更多来源" press sends. The button carries the
/// question's language, so an English answer's pages stay English.
pub fn more_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "更多来源：",
        Lang::En => "More sources:",
    }
}

/// Header of the paragraphs a "上下文" press sends (the article title follows).
pub fn context_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "上下文：",
        Lang::En => "Context: ",
    }
}

/// Said when the quoted paragraph stands alone in its article.
pub fn no_context(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "（这段引文前后没有其他段落）",
        Lang::En => "(No other paragraphs around this quote.)",
    }
}

/// The label of paragraph `n` on a context page; `quoted` marks the one the
/// answer quoted.
pub fn paragraph_label(lang: Lang, n: usize, quoted: bool) -> String {
    match (lang, quoted) {
        (Lang::Zh, false) => format!("第{n}段"),
        (Lang::Zh, true) => format!("第{n}段（引文所在段落）"),
        (Lang::En, false) => format!("Paragraph {n}"),
        (Lang::En, true) => format!("Paragraph {n} (the one quoted)"),
    }
}

/// The not-found reply when there are nearest articles to suggest (as
/// buttons under it): say so, then offer them — suggestions, not answers.
pub fn declined_with_suggestions(lang: Lang, articles: usize) -> String {
    match lang {
        Lang::Zh => format!(
            "{NOT_FOUND}我只能根据收录的 {articles} 篇乌镇峰会新闻报道回答问题，发送 /sources 查看全部。\
             \n\n💡 可以问问这些报道（点按钮提问）："
        ),
        Lang::En => format!(
            "Nothing in the collected reports answers that. I can only answer from {articles} \
             news reports on the 2024 World Internet Conference Wuzhen Summit (in Chinese); \
             send /sources for the list.\n\n💡 You could ask about these reports instead (tap to ask):"
        ),
    }
}

/// Longest article title on a suggestion button, in chars.
const SUGGESTION_TITLE_CHARS: usize = 28;

/// The label of a suggestion button: the article's title in 《》.
pub fn button_suggestion(title: &str) -> String {
    format!(
        "《{}》",
        crate::render::shorten(title.trim(), SUGGESTION_TITLE_CHARS)
    )
}
