//! The buttons under an answer and what their `callback_data` says.
//!
//! Telegram gives a button at most 64 bytes of data and hands it back verbatim
//! on a press, possibly days and several restarts later — and a modified
//! client can send any data it likes. So the data is self-contained (it names
//! the passages by their index in the engine), carries a fingerprint of the
//! corpus (after a reload the indices may point elsewhere: the fingerprint
//! turns that into a polite "please ask again" instead of a wrong quote), and
//! is signed: HMAC-SHA256 with a key kept in the data directory, cut to 64
//! bits. Data we did not make, or altered by one character, is refused.
//!
//! Format: `2<action>[e]:<fingerprint>:<body>:<mac>`, indices in base 36, e.g.
//! `2m:3fa9c1:b.1k.2:<mac>` (more sources: passages 11, 56, 2) or
//! `2d:3fa9c1:9c0e77a1:3.b:<mac>` (👎 on the answer to question hash 9c0e77a1
//! that showed passages 3 and 11), the MAC as 16 hex digits. An `e` after
//! the action of 更多来源 / 上下文 (`2me:…`) says the question was English, so
//! the page a press sends is too; without it the page is Chinese — so the
//! data of every Chinese answer, and of buttons made before the flag existed,
//! is unchanged and still accepted. The flag is signed like the rest.
//! `2s:3fa9c1:1k:<mac>` is a suggestion under a declined question: ask the
//! title of passage 56's article.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::messages::{self, Lang};
use crate::search::{Answer, Engine};

/// Telegram's limit on `callback_data`.
pub const MAX_DATA_BYTES: usize = 64;
/// The label of the 👍 button: every answer that quotes something has it.
pub const VOTE_UP: &str = "👍";
/// Sources listed per "更多来源" message.
pub const MORE_PAGE: usize = 3;
/// Passages asked of the engine for a chat answer: what the reply shows plus
/// what "更多来源" can list later.
pub const ANSWER_PASSAGES: usize = 10;
/// Version tag: bump when the format changes, so old buttons read as stale.
const VERSION: char = '2';
/// Bytes of the MAC kept (64 bits: forging one takes ~2^63 presses, each an
/// online attempt under flood control), written as twice as many hex digits.
const MAC_BYTES: usize = 8;

/// The key button data is signed with (see [`super::data_dir`]).
#[derive(Clone)]
pub struct ButtonKey([u8; 32]);

impl ButtonKey {
    pub fn new(bytes: [u8; 32]) -> ButtonKey {
        ButtonKey(bytes)
    }

    fn hmac(&self, data: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length: `new_from_slice` cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(data.as_bytes());
        mac
    }

    /// The MAC of `data`, as hex.
    fn sign(&self, data: &str) -> String {
        let tag = self.hmac(data).finalize().into_bytes();
        tag[..MAC_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `mac` (hex) is the MAC of `data`, compared in constant time.
    fn verify(&self, data: &str, mac: &str) -> bool {
        let Some(bytes) = from_hex(mac).filter(|b| b.len() == MAC_BYTES) else {
            return false;
        };
        self.hmac(data).verify_truncated_left(&bytes).is_ok()
    }
}

impl std::fmt::Debug for ButtonKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ButtonKey(..)")
    }
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

/// What a press asks for, decoded and checked against the current engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show these passages (the next page of sources), the bot's words in
    /// the language of the question answered.
    More(Vec<usize>, Lang),
    /// Show the paragraphs around this passage, likewise.
    Context(usize, Lang),
    /// 👍 (`up = true`) or 👎 on an answer.
    Vote {
        up: bool,
        /// [`question_hash`] of the question answered.
        question: String,
        /// The passages the answer showed, best first.
        passages: Vec<usize>,
    },
    /// A suggestion under a declined question: ask the title of this
    /// passage's article (from `Engine::nearest_articles`).
    Suggest(usize),
}

/// Why a press cannot be acted on; each has its own notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// Made for another corpus (reloaded since) or an older format.
    #[error("callback data from another corpus or version")]
    Stale,
    /// Not data we make: garbage, a wrong MAC (tampering, or a key made
    /// anew), or a passage that does not exist.
    #[error("callback data not made by this bot")]
    Forged,
}

/// A short fingerprint of the engine's passages (ids and lengths, in order):
/// equal fingerprints mean equal passage indices, in practice.
pub fn fingerprint(engine: &Engine) -> String {
    // Computed once when the index is built (an on-disk index of 100 000
    // passages cannot be read through per answer).
    format!("{:06x}", engine.index().layout & 0xff_ffff)
}

/// An 8-hex-digit hash of a question, linking a vote to the question log
/// without putting the question itself (up to 500 chars) in the button.
pub fn question_hash(question: &str) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(question.trim().as_bytes());
    format!("{:08x}", hash & 0xffff_ffff)
}

/// Encodes and signs `action` for `fingerprint`. Lists are cut (from the end)
/// until the data fits Telegram's 64 bytes.
pub fn encode(action: &Action, fingerprint: &str, key: &ButtonKey) -> String {
    let (tag, lang, mut body): (char, Lang, Vec<String>) = match action {
        Action::More(list, lang) => ('m', *lang, vec![list_body(list)]),
        Action::Context(n, lang) => ('c', *lang, vec![base36(*n)]),
        Action::Vote {
            up,
            question,
            passages,
        } => (
            if *up { 'u' } else { 'd' },
            Lang::Zh,
            vec![question.clone(), list_body(passages)],
        ),
        Action::Suggest(n) => ('s', Lang::Zh, vec![base36(*n)]),
    };
    let head = format!("{VERSION}{tag}{}:{fingerprint}:", lang_flag(lang));
    loop {
        let data = format!("{head}{}", body.join(":"));
        if data.len() + 1 + 2 * MAC_BYTES <= MAX_DATA_BYTES {
            let mac = key.sign(&data);
            return format!("{data}:{mac}");
        }
        // Drop the last index of the list (always the last field).
        let last = body.last_mut().expect("body has a field");
        match last.rfind('.') {
            Some(at) => last.truncate(at),
            None => {
                last.clear();
            }
        }
    }
}

/// Checks and decodes a press for the engine with `passages` passages and
/// `fingerprint`.
pub fn decode(
    data: &str,
    fingerprint: &str,
    passages: usize,
    key: &ButtonKey,
) -> Result<Action, DataError> {
    let (signed, mac) = data.rsplit_once(':').ok_or(DataError::Forged)?;
    let mut fields = signed.split(':');
    let head = fields.next().ok_or(DataError::Forged)?;
    let mut chars = head.chars();
    let (Some(version), Some(tag), flag, None) =
        (chars.next(), chars.next(), chars.next(), chars.next())
    else {
        return Err(DataError::Forged);
    };
    if !version.is_ascii_digit() || !"mcuds".contains(tag) {
        return Err(DataError::Forged);
    }
    let lang = match flag {
        None => Lang::Zh,
        Some('e') if "mc".contains(tag) => Lang::En,
        Some(_) => return Err(DataError::Forged),
    };
    if version != VERSION {
        return Err(DataError::Stale);
    }
    if !key.verify(signed, mac) {
        return Err(DataError::Forged);
    }
    let print = fields.next().ok_or(DataError::Forged)?;
    if print.len() != 6 || !print.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DataError::Forged);
    }
    if print != fingerprint {
        return Err(DataError::Stale);
    }
    let index = |s: &str| -> Result<usize, DataError> {
        let n = usize::from_str_radix(s, 36).map_err(|_| DataError::Forged)?;
        if s.len() > 4 || n >= passages {
            return Err(DataError::Forged);
        }
        Ok(n)
    };
    let list = |s: &str| -> Result<Vec<usize>, DataError> {
        let list = s.split('.').map(index).collect::<Result<Vec<_>, _>>()?;
        if list.is_empty() {
            return Err(DataError::Forged);
        }
        Ok(list)
    };
    let action = match tag {
        'm' => Action::More(list(fields.next().ok_or(DataError::Forged)?)?, lang),
        'c' => Action::Context(index(fields.next().ok_or(DataError::Forged)?)?, lang),
        's' => Action::Suggest(index(fields.next().ok_or(DataError::Forged)?)?),
        _ => {
            let question = fields.next().ok_or(DataError::Forged)?;
            if question.len() != 8 || !question.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(DataError::Forged);
            }
            Action::Vote {
                up: tag == 'u',
                question: question.to_string(),
                passages: list(fields.next().ok_or(DataError::Forged)?)?,
            }
        }
    };
    if fields.next().is_some() {
        return Err(DataError::Forged);
    }
    Ok(action)
}

/// The keyboard under a chat answer that quoted `answer.passages[..shown]`:
/// 更多来源 (when more passages are left), 上下文, 👍, 👎 — labelled in English
/// for an English question. `None` when the answer quotes nothing (help, not
/// found): there is nothing to expand or rate.
pub fn answer_keyboard(
    answer: &Answer,
    shown: usize,
    fingerprint: &str,
    key: &ButtonKey,
) -> Option<InlineKeyboardMarkup> {
    let best = answer.passages.first()?;
    if !answer.answered() {
        return None;
    }
    let indices: Vec<usize> = answer.passages.iter().map(|h| h.passage).collect();
    let shown = shown.clamp(1, indices.len());
    let lang = Lang::of_question(&answer.question);
    let mut first_row = Vec::new();
    if shown < indices.len() {
        first_row.push(more_button(&indices[shown..], lang, fingerprint, key));
    }
    first_row.push(InlineKeyboardButton::callback(
        messages::button_context(lang),
        encode(&Action::Context(best.passage, lang), fingerprint, key),
    ));
    let vote = |up: bool| Action::Vote {
        up,
        question: question_hash(&answer.question),
        passages: indices[..shown].to_vec(),
    };
    let second_row = vec![
        InlineKeyboardButton::callback(VOTE_UP, encode(&vote(true), fingerprint, key)),
        InlineKeyboardButton::callback("👎", encode(&vote(false), fingerprint, key)),
    ];
    Some(InlineKeyboardMarkup::new(vec![first_row, second_row]))
}

/// The suggestions under a declined question: one button per article,
/// labelled with its title in 《》 (never an answer: pressing one asks the
/// title as a question). `articles` are passage indices with their titles.
pub fn suggestion_keyboard(
    articles: &[(usize, String)],
    fingerprint: &str,
    key: &ButtonKey,
) -> Option<InlineKeyboardMarkup> {
    if articles.is_empty() {
        return None;
    }
    let rows = articles
        .iter()
        .map(|(passage, title)| {
            vec![InlineKeyboardButton::callback(
                messages::button_suggestion(title),
                encode(&Action::Suggest(*passage), fingerprint, key),
            )]
        })
        .collect::<Vec<_>>();
    Some(InlineKeyboardMarkup::new(rows))
}

/// "更多来源" for the passages in `rest` (a page of them is shown per press),
/// labelled in `lang` and sending its pages in `lang`.
pub fn more_button(
    rest: &[usize],
    lang: Lang,
    fingerprint: &str,
    key: &ButtonKey,
) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(
        messages::button_more(lang),
        encode(&Action::More(rest.to_vec(), lang), fingerprint, key),
    )
}

/// The head's language flag: none for Chinese (the data as it was before
/// the flag existed), `e` for English.
fn lang_flag(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "",
        Lang::En => "e",
    }
}

fn list_body(list: &[usize]) -> String {
    list.iter()
        .map(|&n| base36(n))
        .collect::<Vec<_>>()
        .join(".")
}

fn base36(mut n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "00ab12";

    fn key() -> ButtonKey {
        ButtonKey::new([7; 32])
    }

    #[test]
    fn labels_follow_the_question_language() {
        let corpus = crate::corpus::Corpus::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus"
        )))
        .expect("corpus/ loads");
        let engine = Engine::new(&corpus, Default::default()).expect("index builds");
        let mut answer = engine.ask("乌镇峰会在哪里举行？");
        assert!(answer.answered());
        let buttons = |answer: &Answer| {
            answer_keyboard(answer, 1, FP, &key())
                .expect("a keyboard")
                .inline_keyboard
                .concat()
        };
        let labels = |answer: &Answer| -> Vec<String> {
            buttons(answer).into_iter().map(|b| b.text).collect()
        };
        // The language of each 更多来源 / 上下文 press, read back from its data.
        let langs = |answer: &Answer| -> Vec<Lang> {
            buttons(answer)
                .into_iter()
                .filter_map(|b| match b.kind {
                    teloxide::types::InlineKeyboardButtonKind::CallbackData(data) => {
                        decode(&data, FP, engine.index().passages.len(), &key()).ok()
                    }
                    _ => None,
                })
                .filter_map(|action| match action {
                    Action::More(_, lang) | Action::Context(_, lang) => Some(lang),
                    Action::Vote { .. } | Action::Suggest(_) => None,
                })
                .collect()
        };
        assert!(labels(&answer).contains(&"上下文".to_string()));
        assert_eq!(langs(&answer), [Lang::Zh, Lang::Zh]);
        answer.question = "Where was the Wuzhen summit held?".to_string();
        let english = labels(&answer);
        assert!(english.contains(&"Context".to_string()), "{english:?}");
        assert!(!english.iter().any(|l| l == "上下文"), "{english:?}");
        assert_eq!(langs(&answer), [Lang::En, Lang::En], "{english:?}");
    }

    #[test]
    fn round_trips_every_action() {
        let actions = [
            Action::More(vec![0, 35, 36, 1295, 5000], Lang::Zh),
            Action::More(vec![0, 35, 36, 1295, 5000], Lang::En),
            Action::Context(77, Lang::Zh),
            Action::Context(77, Lang::En),
            Action::Vote {
                up: false,
                question: question_hash("乌镇峰会在哪里举行？"),
                passages: vec![3, 11],
            },
            Action::Suggest(0),
            Action::Suggest(9_999),
        ];
        for action in actions {
            let data = encode(&action, FP, &key());
            assert!(data.len() <= MAX_DATA_BYTES, "{data}");
            assert_eq!(decode(&data, FP, 10_000, &key()), Ok(action), "{data}");
        }
    }

    #[test]
    fn long_lists_are_cut_to_64_bytes() {
        let list: Vec<usize> = (40_000..40_030).collect();
        for lang in [Lang::Zh, Lang::En] {
            let data = encode(&Action::More(list.clone(), lang), FP, &key());
            assert!(data.len() <= MAX_DATA_BYTES, "{data}");
            let Ok(Action::More(decoded, decoded_lang)) = decode(&data, FP, 50_000, &key()) else {
                panic!("{data}");
            };
            assert_eq!(decoded_lang, lang, "{data}");
            assert!(!decoded.is_empty());
            assert_eq!(decoded, list[..decoded.len()]);
        }
    }

    #[test]
    fn the_language_travels_signed_in_the_data() {
        let signed = |body: &str| format!("{body}:{}", key().sign(body));
        let zh = encode(&Action::More(vec![11, 56, 2], Lang::Zh), FP, &key());
        let en = encode(&Action::More(vec![11, 56, 2], Lang::En), FP, &key());
        assert_eq!(
            zh,
            signed("2m:00ab12:b.1k.2"),
            "Chinese data as before the flag"
        );
        assert_eq!(en, signed("2me:00ab12:b.1k.2"));
        assert_eq!(
            decode(&en, FP, 100, &key()),
            Ok(Action::More(vec![11, 56, 2], Lang::En))
        );
        assert_eq!(
            decode(&signed("2c:00ab12:5"), FP, 100, &key()),
            Ok(Action::Context(5, Lang::Zh)),
            "a button made before the flag: Chinese, as it always was"
        );
        assert_eq!(
            decode(&signed("2ce:00ab12:5"), FP, 100, &key()),
            Ok(Action::Context(5, Lang::En))
        );
        // Adding or dropping the flag without the key breaks the MAC.
        let (zh_signed, zh_mac) = zh.rsplit_once(':').unwrap();
        let added = format!("{}:{zh_mac}", zh_signed.replacen("2m:", "2me:", 1));
        let dropped = en.replacen("2me:", "2m:", 1);
        for forged in [
            added,
            dropped,
            signed("2mf:00ab12:1"),
            signed("2mE:00ab12:1"),
            signed("2mee:00ab12:1"),
            signed("2ue:00ab12:9c0e77a1:1"),
            signed("2de:00ab12:9c0e77a1:1"),
        ] {
            assert_eq!(
                decode(&forged, FP, 100, &key()),
                Err(DataError::Forged),
                "{forged}"
            );
        }
        assert_eq!(
            decode(&en, "ffffff", 100, &key()),
            Err(DataError::Stale),
            "English data of another corpus is stale, like Chinese"
        );
    }

    #[test]
    fn any_altered_character_is_refused() {
        let vote = encode(
            &Action::Vote {
                up: true,
                question: question_hash("蓝皮书是哪个机构编写的？"),
                passages: vec![3, 11, 12],
            },
            FP,
            &key(),
        );
        let english = encode(&Action::More(vec![3, 11, 12], Lang::En), FP, &key());
        let alphabet = "0123456789abcdefghijklmnopqrstuvwxyz:.";
        for data in [vote, english] {
            for (at, original) in data.char_indices() {
                for c in alphabet.chars().filter(|&c| c != original) {
                    let mut altered = data.clone();
                    altered.replace_range(at..at + original.len_utf8(), c.encode_utf8(&mut [0; 4]));
                    assert!(
                        decode(&altered, FP, 10_000, &key()).is_err(),
                        "{altered} was accepted"
                    );
                }
            }
            let other_key = ButtonKey::new([8; 32]);
            assert_eq!(
                decode(&data, FP, 10_000, &other_key),
                Err(DataError::Forged),
                "data signed with another key"
            );
        }
    }

    #[test]
    fn stale_and_forged_data_are_told_apart() {
        let data = encode(&Action::Context(5, Lang::Zh), FP, &key());
        assert_eq!(decode(&data, "ffffff", 100, &key()), Err(DataError::Stale));
        assert_eq!(
            decode("1c:00ab12:5", FP, 100, &key()),
            Err(DataError::Stale),
            "unsigned data of the previous version"
        );
        let signed = |body: &str| format!("{body}:{}", key().sign(body));
        for forged in [
            "".to_string(),
            "hello".to_string(),
            signed("2x:00ab12:5"),
            signed("2c:00ab12:zzzzzzzz"),
            signed("2c:00ab12:5:6"),
            signed("2c:00ab12:"),
            signed("2m:00ab12:1..2"),
            signed("2u:00ab12:xyz:1"),
            signed("2c:00ab12:-1"),
            signed("2s:00ab12:"),
            signed("2s:00ab12:1:2"),
            signed("2s:00ab12:1.2"),
            signed("2se:00ab12:1"),
            signed("2s:00ab12:2s"),
            signed("2c:00ab12:2s"),
            signed("2c:short:5"),
            signed("２c:00ab12:5"),
            "2c:00ab12:5:0000000000000000".to_string(),
        ] {
            assert_eq!(
                decode(&forged, FP, 100, &key()),
                Err(DataError::Forged),
                "{forged}"
            );
        }
    }
}
