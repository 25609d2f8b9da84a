//! What a message asks of the bot — decided from the message alone, so the
//! rules for private and group chats are testable without any network.

use teloxide::types::{Message, MessageEntityKind, UserId};

use crate::config::GroupMode;

/// Who the bot is (from getMe), needed to recognise mentions and replies.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: UserId,
    /// Without the `@`.
    pub username: String,
}

/// A command of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Help,
    Sources,
    About,
    /// `/ask` with nothing after it: explain how to use it.
    AskUsage,
}

/// What to do with one incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Question(String),
    Command(Command),
    /// A photo, sticker, voice… in a private chat: say we read text only.
    NonText,
    Ignore,
}

/// The commands registered with setMyCommands, with their descriptions.
pub const COMMANDS: &[(&str, &str)] = &[
    ("start", "开始使用"),
    ("help", "使用说明和示例问题"),
    ("ask", "提问，例如 /ask 乌镇峰会在哪里举行？"),
    ("sources", "收录的新闻报道"),
    ("about", "关于本机器人"),
];

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

/// A leading `/command[@bot] args`: ours → its intent; someone else's → ignore
/// (in groups) or help (in private, where only we can be meant).
fn command(text: &str, me: &Identity, private: bool) -> Option<Intent> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = match rest.find(char::is_whitespace) {
        Some(at) => (&rest[..at], rest[at..].trim()),
        None => (rest, ""),
    };
    let (name, addressee) = match head.split_once('@') {
        Some((name, bot)) => (name, Some(bot)),
        None => (head, None),
    };
    if addressee.is_some_and(|bot| !bot.eq_ignore_ascii_case(&me.username)) {
        return Some(Intent::Ignore);
    }
    let intent = match name.to_ascii_lowercase().as_str() {
        "start" => Intent::Command(Command::Start),
        "help" => Intent::Command(Command::Help),
        "sources" => Intent::Command(Command::Sources),
        "about" => Intent::Command(Command::About),
        "ask" if args.is_empty() => Intent::Command(Command::AskUsage),
        "ask" => Intent::Question(args.to_string()),
        _ if private => Intent::Command(Command::Help),
        _ => Intent::Ignore,
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
