//! What a message asks of the bot — decided from the message alone, so the
//! rules for private and group chats are testable without any network.

use teloxide::types::{Message, MessageEntityKind, UserId};
use teloxide::utils::command::{BotCommands, ParseError};

use crate::config::GroupMode;

/// Who the bot is (from getMe), needed to recognise mentions and replies.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: UserId,
    /// Without the `@`.
    pub username: String,
}

/// Our commands: the one table that parses them and that setMyCommands
/// registers (hidden ones are admin-only and not suggested).
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    #[command(description = "开始使用")]
    Start,
    #[command(description = "使用说明和示例问题")]
    Help,
    /// `/ask 问题`; with nothing after it, the handler explains how to use it.
    #[command(description = "提问，例如 /ask 乌镇峰会在哪里举行？")]
    Ask(String),
    #[command(description = "收录的新闻报道")]
    Sources,
    #[command(description = "关于本机器人")]
    About,
    /// Admin only: rebuild the engine from the corpus.
    #[command(hide)]
    Reload,
    /// Admin only: counts and the feedback report.
    #[command(hide)]
    Stats,
}

/// What to do with one incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Question(String),
    /// One of our commands (never `Ask` with a question: that is a `Question`).
    Command(Command),
    /// A photo, sticker, voice… in a private chat: say we read text only.
    NonText,
    Ignore,
}

/// A leading `/word` in a message, as far as we are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Not a command at all.
    NotCommand,
    /// One of ours, unaddressed or addressed to us.
    Ours(Command),
    /// Addressed to another bot.
    OtherBot,
    /// A command we do not have.
    Unknown,
}

/// Parses a leading `/command[@bot] args` with [`Command::parse`]. Command
/// names are matched ignoring case, and any whitespace (a newline, a
/// full-width space) separates them from their arguments.
pub fn parse(text: &str, me: &Identity) -> Parsed {
    let text = text.trim();
    if !text.starts_with('/') {
        return Parsed::NotCommand;
    }
    let (head, args) = match text.find(char::is_whitespace) {
        Some(at) => (&text[..at], text[at..].trim()),
        None => (text, ""),
    };
    let head = match head.split_once('@') {
        Some((name, bot)) => format!("{}@{bot}", name.to_lowercase()),
        None => head.to_lowercase(),
    };
    match Command::parse(&format!("{head} {args}"), &me.username) {
        Ok(Command::Ask(args)) => Ok(Command::Ask(args.trim().to_string())),
        other => other,
    }
    .map_or_else(
        |err| match err {
            ParseError::WrongBotName(_) => Parsed::OtherBot,
            _ => Parsed::Unknown,
        },
        Parsed::Ours,
    )
}

/// Decides what `msg` asks for. Rules:
/// - messages from bots are ignored;
/// - private chat: a command, or else the whole text is a question;
/// - groups: `/ask 问题` (or `/ask@us`), an @mention of us, or a reply to one of
///   our messages; our other commands when unaddressed or addressed to us;
///   everything else (chatter, other bots' commands) is ignored.
pub fn route(msg: &Message, me: &Identity, group_mode: GroupMode) -> Intent {
    if msg.from.as_ref().is_some_and(|u| u.is_bot) || msg.via_bot.is_some() {
        return Intent::Ignore;
    }
    let private = msg.chat.is_private();
    if !private && group_mode == GroupMode::Off {
        return Intent::Ignore;
    }
    let Some(text) = msg.text() else {
        return if private {
            Intent::NonText
        } else {
            Intent::Ignore
        };
    };
    if let Some(intent) = command(text, me, private) {
        return intent;
    }
    if private {
        return Intent::Question(text.trim().to_string());
    }
    if let Some(question) = mentioned(msg, text, me) {
        return if question.is_empty() {
            Intent::Command(Command::Help)
        } else {
            Intent::Question(question)
        };
    }
    let replies_to_us = msg
        .reply_to_message()
        .and_then(|m| m.from.as_ref())
        .is_some_and(|u| u.id == me.id);
    if replies_to_us {
        return Intent::Question(text.trim().to_string());
    }
    Intent::Ignore
}

/// What a leading command asks for: ours → its intent; someone else's →
/// ignore (in groups) or help (in private, where only we can be meant).
fn command(text: &str, me: &Identity, private: bool) -> Option<Intent> {
    let unknown = if private {
        Intent::Command(Command::Help)
    } else {
        Intent::Ignore
    };
    let intent = match parse(text, me) {
        Parsed::NotCommand => return None,
        Parsed::OtherBot => Intent::Ignore,
        Parsed::Unknown => unknown,
        // Admin commands are handled before routing; from anyone else they
        // are unknown.
        Parsed::Ours(Command::Reload | Command::Stats) => unknown,
        Parsed::Ours(Command::Ask(question)) if !question.is_empty() => Intent::Question(question),
        Parsed::Ours(command) => Intent::Command(command),
    };
    Some(intent)
}

/// The question of a message that @mentions us, with the mention cut out.
fn mentioned(msg: &Message, text: &str, me: &Identity) -> Option<String> {
    let entities = msg.parse_entities()?;
    let mention = entities.iter().find(|e| match e.kind() {
        MessageEntityKind::Mention => e
            .text()
            .trim_start_matches('@')
            .eq_ignore_ascii_case(&me.username),
        MessageEntityKind::TextMention { user } => user.id == me.id,
        _ => false,
    })?;
    let range = mention.range();
    let question = format!("{} {}", &text[..range.start], &text[range.end..]);
    Some(question.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Identity {
        Identity {
            id: UserId(1),
            username: "summit_bot".to_string(),
        }
    }

    #[test]
    fn commands_parse_once_for_every_form() {
        let me = me();
        assert_eq!(parse("/help", &me), Parsed::Ours(Command::Help));
        assert_eq!(parse("/HELP@Summit_Bot", &me), Parsed::Ours(Command::Help));
        assert_eq!(parse("/stats@other_bot", &me), Parsed::OtherBot);
        assert_eq!(parse("/reloaded", &me), Parsed::Unknown);
        assert_eq!(parse("reload", &me), Parsed::NotCommand);
        assert_eq!(
            parse("/ask\n 乌镇　在哪？ ", &me),
            Parsed::Ours(Command::Ask("乌镇　在哪？".to_string()))
        );
        assert_eq!(
            parse("/ask@summit_bot", &me),
            Parsed::Ours(Command::Ask(String::new()))
        );
        assert_eq!(parse("/ask@other_bot 问题", &me), Parsed::OtherBot);
    }

    #[test]
    fn the_registered_table_hides_admin_commands() {
        let names: Vec<String> = Command::bot_commands()
            .into_iter()
            .map(|c| c.command)
            .collect();
        assert_eq!(names, ["/start", "/help", "/ask", "/sources", "/about"]);
    }
}
