//! Telegram's HTML parse mode, checked the way `parse_mode=HTML` does (stricter about escaping).

use super::*;

/// Tags Telegram's HTML parse mode accepts.
pub(super) const SUPPORTED_TAGS: [&str; 16] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "span",
    "tg-spoiler",
    "tg-emoji",
];

/// Parses Telegram-flavoured HTML the way `parse_mode=HTML` does, only stricter about escaping:
/// bare `<`, `>` and `&` and named entities other than `&lt; &gt; &amp; &quot;` are errors
/// (real Telegram passes some of them through, but a renderer that relies on that is buggy).
///
/// The error string is the part after `Bad Request: can't parse entities: `.
pub fn parse_html(html: &str) -> Result<ParsedHtml, String> {
    struct Open {
        name: String,
        start: usize,
        counts: bool,
    }
    let bytes = html.as_bytes();
    let mut text = String::with_capacity(html.len());
    let mut utf16 = 0usize;
    let mut stack: Vec<Open> = Vec::new();
    let mut entities = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'<' if bytes.get(i + 1) == Some(&b'/') => {
                let start = i;
                let mut j = i + 2;
                while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                    j += 1;
                }
                let name = html[i + 2..j].to_ascii_lowercase();
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j >= bytes.len() || bytes[j] != b'>' {
                    return Err(format!("Unclosed end tag at byte offset {start}"));
                }
                let open = stack
                    .pop()
                    .ok_or_else(|| format!("Unexpected end tag at byte offset {start}"))?;
                if open.name != name {
                    return Err(format!(
                        "Unmatched end tag at byte offset {start}, expected \"</{}>\", found \"</{name}>\"",
                        open.name
                    ));
                }
                // Telegram drops empty entities, so only non-empty ones count toward the limit.
                if open.counts && utf16 > open.start {
                    entities += 1;
                }
                i = j + 1;
            }
            b'<' => {
                let (name, attributes, next) = parse_start_tag(html, i)?;
                check_tag_attributes(&name, &attributes, i)?;
                // `<pre><code class="language-x">` is a single `pre` entity with a language.
                let counts =
                    !(name == "code" && stack.last().is_some_and(|open| open.name == "pre"));
                stack.push(Open {
                    name,
                    start: utf16,
                    counts,
                });
                i = next;
            }
            b'>' => return Err(format!("Unescaped \">\" at byte offset {i}; use \"&gt;\"")),
            b'&' => {
                let (ch, next) = decode_entity(html, i)?;
                text.push(ch);
                utf16 += ch.len_utf16();
                i = next;
            }
            _ => {
                // `i` is always on a char boundary: it only advances by whole chars or ASCII bytes.
                let Some(ch) = html[i..].chars().next() else {
                    break;
                };
                text.push(ch);
                utf16 += ch.len_utf16();
                i += ch.len_utf8();
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.name
        ));
    }
    Ok(ParsedHtml { text, entities })
}

/// Length of `text` in UTF-16 code units, the unit of all Bot API lengths and offsets.
pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// A parsed start tag: lowercase name, attributes (lowercase name, decoded value), and the
/// byte index after its `>`.
pub(super) type StartTag = (String, Vec<(String, String)>, usize);

/// Parses `<name attr="value" flag>` starting at byte `pos` (which holds `<`).
pub(super) fn parse_start_tag(html: &str, pos: usize) -> Result<StartTag, String> {
    let bytes = html.as_bytes();
    let unclosed = || format!("Unclosed start tag at byte offset {pos}");
    let mut j = pos + 1;
    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
        j += 1;
    }
    if j >= bytes.len() {
        return Err(unclosed());
    }
    let name = html[pos + 1..j].to_ascii_lowercase();
    if !SUPPORTED_TAGS.contains(&name.as_str()) {
        return Err(format!(
            "Unsupported start tag \"{name}\" at byte offset {pos}"
        ));
    }
    let mut attributes = Vec::new();
    loop {
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= bytes.len() {
            return Err(unclosed());
        }
        if bytes[j] == b'>' {
            return Ok((name, attributes, j + 1));
        }
        let name_start = j;
        while j < bytes.len()
            && !bytes[j].is_ascii_whitespace()
            && bytes[j] != b'='
            && bytes[j] != b'>'
        {
            j += 1;
        }
        if j == name_start {
            return Err(format!(
                "Empty attribute name in the tag \"{name}\" at byte offset {pos}"
            ));
        }
        let attribute = html[name_start..j].to_ascii_lowercase();
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let mut value = String::new();
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= bytes.len() {
                return Err(unclosed());
            }
            let (raw_start, raw_end) = if bytes[j] == b'"' || bytes[j] == b'\'' {
                let quote = bytes[j];
                let end = bytes[j + 1..]
                    .iter()
                    .position(|&b| b == quote)
                    .map(|p| p + j + 1)
                    .ok_or_else(unclosed)?;
                let range = (j + 1, end);
                j = end + 1;
                range
            } else {
                let start = j;
                while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                    j += 1;
                }
                (start, j)
            };
            value = decode_attribute(html, raw_start, raw_end)?;
        }
        attributes.push((attribute, value));
    }
}

/// Checks the attributes Telegram requires for some tags.
pub(super) fn check_tag_attributes(
    name: &str,
    attributes: &[(String, String)],
    pos: usize,
) -> Result<(), String> {
    let get = |key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match name {
        "a" if get("href").is_none_or(|href| href.trim().is_empty()) => Err(format!(
            "Tag \"a\" at byte offset {pos} must have a non-empty \"href\" attribute"
        )),
        "span" if get("class") != Some("tg-spoiler") => Err(format!(
            "Tag \"span\" at byte offset {pos} must have class \"tg-spoiler\""
        )),
        "tg-emoji" if get("emoji-id").is_none_or(str::is_empty) => Err(format!(
            "Tag \"tg-emoji\" at byte offset {pos} must have attribute \"emoji-id\""
        )),
        _ => Ok(()),
    }
}

/// Decodes the entities in the attribute value `html[start..end]`.
pub(super) fn decode_attribute(html: &str, start: usize, end: usize) -> Result<String, String> {
    let mut value = String::with_capacity(end - start);
    let mut i = start;
    while i < end {
        if html.as_bytes()[i] == b'&' {
            let (ch, next) = decode_entity(html, i)?;
            value.push(ch);
            i = next;
        } else {
            let Some(ch) = html[i..end].chars().next() else {
                break;
            };
            value.push(ch);
            i += ch.len_utf8();
        }
    }
    Ok(value)
}

/// Decodes the HTML entity starting at byte `pos` (which holds `&`).
/// Returns the character and the byte index after `;`.
pub(super) fn decode_entity(html: &str, pos: usize) -> Result<(char, usize), String> {
    let rest = &html[pos + 1..];
    let unescaped = || format!("Unescaped \"&\" at byte offset {pos}; use \"&amp;\"");
    let end = rest
        .bytes()
        .take(32)
        .position(|b| b == b';')
        .ok_or_else(unescaped)?;
    let name = &rest[..end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'#') {
        return Err(unescaped());
    }
    let code = match name {
        "lt" => Some('<' as u32),
        "gt" => Some('>' as u32),
        "amp" => Some('&' as u32),
        "quot" => Some('"' as u32),
        _ => match name.strip_prefix('#') {
            Some(hex) if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16).ok(),
            Some(decimal) => decimal.parse::<u32>().ok(),
            None => {
                return Err(format!(
                    "Unsupported HTML entity \"&{name};\" at byte offset {pos}"
                ))
            }
        },
    };
    match code.filter(|&c| c != 0).and_then(char::from_u32) {
        Some(ch) => Ok((ch, pos + 1 + end + 1)),
        None => Err(format!(
            "Invalid numeric HTML entity \"&{name};\" at byte offset {pos}"
        )),
    }
}

/// Validates a message text for `parse_mode` like Telegram; returns the text users see
/// (trimmed, as Telegram trims) and the entity count.
pub(super) fn validate_text(
    text: &str,
    parse_mode: Option<&str>,
) -> Result<(String, usize), ApiError> {
    let (plain, entities) = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => (text.to_owned(), 0),
        Some("html") => {
            let parsed = parse_html(text).map_err(|reason| {
                ApiError::bad_request(format!("can't parse entities: {reason}"))
            })?;
            (parsed.text, parsed.entities)
        }
        // Markdown is not validated: the bot sends HTML or plain text only.
        Some("markdown" | "markdownv2") => (text.to_owned(), 0),
        Some(_) => return Err(ApiError::bad_request("unsupported parse_mode")),
    };
    let plain = plain.trim();
    if plain.is_empty() {
        return Err(ApiError::bad_request("message text is empty"));
    }
    if utf16_len(plain) > MAX_MESSAGE_UTF16 {
        return Err(ApiError::bad_request("message is too long"));
    }
    if entities > MAX_ENTITIES {
        return Err(ApiError::bad_request("too many entities"));
    }
    Ok((plain.to_owned(), entities))
}
