//! Quote selection: the best sentence of a passage, grown with neighbours up to
//! the quote limit (or a window of one long sentence), with the question's
//! words found for bold type — always on the original, unfolded text.

use std::ops::Range;

use super::analysis::Analysis;
use super::rank::Ranked;
use crate::index::Passage;
use crate::text::{char_len, is_han};

/// A quote with what to show in bold and where its best sentence is.
pub(super) struct Quote {
    pub text: String,
    /// Byte ranges of `text` matching the question.
    pub highlights: Vec<Range<usize>>,
    /// Byte range of `text` holding the best sentence (the answer line of a reply).
    pub answer: Range<usize>,
}

/// The quote of a passage: its best sentence, grown with neighbouring sentences
/// (the better-scoring side first) while it stays within `limit` chars; a
/// sentence longer than that is cut to a window around its matches.
pub(super) fn quote_of(
    passage: &Passage,
    ranked: &Ranked,
    analysis: &Analysis,
    limit: usize,
) -> Quote {
    let sentences = &passage.sentences;
    if sentences.is_empty() {
        return Quote {
            text: String::new(),
            highlights: Vec::new(),
            answer: 0..0,
        };
    }
    let best = ranked.best_sentence;
    if char_len(&passage.text[sentences[best].clone()]) > limit {
        return window_quote(passage, &sentences[best], analysis, limit);
    }
    // The answer line: the best sentence, with a neighbour when it is too short
    // to stand alone ("……”李军华说。" needs the words it attributes).
    let answer = grow(passage, ranked, best..best + 1, MIN_ANSWER_CHARS, limit);
    let quote = grow(passage, ranked, answer.clone(), limit, limit);
    let span = |r: &Range<usize>| {
        trimmed(
            &passage.text,
            sentences[r.start].start..sentences[r.end - 1].end,
        )
    };
    let (quote_range, answer_range) = (span(&quote), span(&answer));
    let text = passage.text[quote_range.clone()].to_string();
    let highlights = highlights_in(passage, quote_range.clone(), analysis);
    let answer = answer_range.start - quote_range.start..answer_range.end - quote_range.start;
    Quote {
        text,
        highlights,
        answer,
    }
}

/// An answer line shorter than this many chars takes in a neighbouring sentence.
const MIN_ANSWER_CHARS: usize = 24;

/// Grows the sentence span `span` with neighbours, the better-scoring side
/// first (the earlier one on a tie: attributions follow what they attribute),
/// until it reaches `want` chars or no neighbour fits within `limit`.
fn grow(
    passage: &Passage,
    ranked: &Ranked,
    span: Range<usize>,
    want: usize,
    limit: usize,
) -> Range<usize> {
    let sentences = &passage.sentences;
    let chars = |i: usize| char_len(&passage.text[sentences[i].clone()]);
    let (mut first, mut last) = (span.start, span.end - 1);
    let mut length: usize = (first..=last).map(chars).sum();
    while length < want {
        let before = first.checked_sub(1).map(|i| (i, chars(i)));
        let after = (last + 1 < sentences.len()).then(|| (last + 1, chars(last + 1)));
        let fits = |side: Option<(usize, usize)>| side.filter(|&(_, n)| length + n <= limit);
        let pick = match (fits(before), fits(after)) {
            (Some(b), Some(a)) => {
                if ranked.sentence_scores[b.0] >= ranked.sentence_scores[a.0] {
                    b
                } else {
                    a
                }
            }
            (Some(b), None) => b,
            (None, Some(a)) => a,
            (None, None) => break,
        };
        length += pick.1;
        if pick.0 < first {
            first = pick.0;
        } else {
            last = pick.0;
        }
    }
    first..last + 1
}

/// `range` of `text` without leading and trailing whitespace.
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    start..start + slice.trim().len()
}

/// A `limit`-char window of one long sentence, centred on its heaviest match,
/// with "…" where it was cut.
fn window_quote(
    passage: &Passage,
    sentence: &Range<usize>,
    analysis: &Analysis,
    limit: usize,
) -> Quote {
    let folded = &passage.folded[passage.folded_range(sentence)];

    let anchor = analysis
        .units
        .iter()
        .filter(|u| u.content)
        .filter_map(|u| {
            u.occurrences(folded, passage)
                .first()
                .map(|at| (u.weight, at.start))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(0, |(_, at)| char_len(&folded[..at]));
    let total = char_len(folded);
    let start = anchor
        .saturating_sub(limit / 3)
        .min(total.saturating_sub(limit));
    let text = &passage.text[sentence.clone()];
    let from = sentence.start + crate::text::byte_offset(text, start);
    let to = sentence.start + crate::text::byte_offset(text, start + limit);
    let mut quote = String::new();
    if from > sentence.start {
        quote.push('…');
    }
    let lead = quote.len();
    quote.push_str(&passage.text[from..to]);
    let mut highlights: Vec<Range<usize>> = highlights_in(passage, from..to, analysis)
        .into_iter()
        .map(|r| r.start + lead..r.end + lead)
        .collect();
    if to < sentence.end {
        quote.push('…');
    }
    highlights.retain(|r| r.end <= quote.len());
    let answer = 0..quote.len();
    Quote {
        text: quote,
        highlights,
        answer,
    }
}

/// Byte ranges, relative to `range.start`, of the question's content units
/// inside `range` of the passage text; overlapping matches are merged.
fn highlights_in(passage: &Passage, range: Range<usize>, analysis: &Analysis) -> Vec<Range<usize>> {
    let folded_range = passage.folded_range(&range);
    let folded = &passage.folded[folded_range.clone()];
    let mut found: Vec<Range<usize>> = Vec::new();
    for unit in analysis
        .units
        .iter()
        .filter(|u| u.content || !is_han_only(u.text()))
    {
        for at in unit.occurrences(folded, passage) {
            let abs = folded_range.start + at.start..folded_range.start + at.end;
            let text = passage.text_range(&abs);
            found.push(text.start - range.start..text.end - range.start);
        }
    }
    found.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in found {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

fn is_han_only(text: &str) -> bool {
    text.chars().all(is_han)
}
