//! Answering a stream of questions (`ask` reading standard input) on every
//! core, with the answers written in question order.
//!
//! One question takes a fraction of a millisecond and shares nothing with the
//! next, so a batch of thousands is bound by one core unless it uses the
//! others. Lines are read on one thread, answered on `workers` threads and
//! written here as soon as an answer and all those before it are ready: a
//! pipe still sees each answer while later questions are coming.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::sync::Mutex;

/// Questions read ahead of the answers written (bounds memory on huge input).
const READ_AHEAD: usize = 256;

/// Answers every line of `input` with `answer`, writing each result (followed
/// by `separator`) to `out` in input order. A line that is not UTF-8 is
/// answered as an empty question; any other read error ends the batch after
/// the answers to the lines before it are written.
pub fn answer_lines<A>(
    input: impl BufRead + Send,
    out: &mut impl Write,
    separator: &str,
    workers: usize,
    answer: A,
) -> std::io::Result<()>
where
    A: Fn(&str) -> String + Sync,
{
    let (question_tx, question_rx) = mpsc::sync_channel::<(usize, String)>(READ_AHEAD);
    let (answer_tx, answer_rx) = mpsc::channel::<(usize, String)>();
    // `None` once writing failed: the reader's next send fails and it stops.
    let questions = Mutex::new(Some(question_rx));
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_lines(input, question_tx));
        for _ in 0..workers.max(1) {
            let answer_tx = answer_tx.clone();
            let (questions, answer) = (&questions, &answer);
            scope.spawn(move || loop {
                // One worker at a time waits for the next line; the others
                // wait for the lock, none holds it while answering.
                let next = match questions.lock() {
                    Ok(rx) => rx.as_ref().and_then(|rx| rx.recv().ok()),
                    Err(_) => None,
                };
                let Some((n, line)) = next else { return };
                if answer_tx.send((n, answer(&line))).is_err() {
                    return;
                }
            });
        }
        drop(answer_tx);
        let written = write_in_order(answer_rx, out, separator);
        if let Ok(mut rx) = questions.lock() {
            rx.take();
        }
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("reading questions failed")));
        let (written, read) = (written?, read?);
        if written < read {
            return Err(std::io::Error::other(format!(
                "{} of {read} questions were not answered",
                read - written
            )));
        }
        Ok(())
    })
}

/// Sends every line of `input`, numbered from 0; returns how many were sent.
fn read_lines(
    input: impl BufRead,
    tx: mpsc::SyncSender<(usize, String)>,
) -> std::io::Result<usize> {
    let mut sent = 0;
    for line in input.lines() {
        let line = match line {
            Ok(line) => line,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => String::new(),
            Err(e) => return Err(e),
        };
        if tx.send((sent, line)).is_err() {
            break;
        }
        sent += 1;
    }
    Ok(sent)
}

/// Writes answers in number order as they become writable, flushing after
/// each run; returns how many were written.
fn write_in_order(
    answers: mpsc::Receiver<(usize, String)>,
    out: &mut impl Write,
    separator: &str,
) -> std::io::Result<usize> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    for (n, text) in answers {
        waiting.insert(n, text);
        let before = next;
        while let Some(text) = waiting.remove(&next) {
            writeln!(out, "{text}{separator}")?;
            next += 1;
        }
        if next > before {
            out.flush()?;
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], workers: usize) -> String {
        let mut out = Vec::new();
        answer_lines(input, &mut out, "", workers, |q| {
            // Later questions finish first: order must come from the writer.
            std::thread::sleep(std::time::Duration::from_micros(
                (200 - q.len().min(200)) as u64 * 10,
            ));
            format!("<{q}>")
        })
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn answers_come_out_in_question_order() {
        let input: String = (0..300)
            .map(|n| format!("{}\n", "x".repeat(n % 50)))
            .collect();
        let expected: String = (0..300)
            .map(|n| format!("<{}>\n", "x".repeat(n % 50)))
            .collect();
        assert_eq!(run(input.as_bytes(), 4), expected);
        assert_eq!(run(input.as_bytes(), 1), expected);
    }

    #[test]
    fn bad_utf8_is_an_empty_question_and_nothing_is_lost() {
        assert_eq!(run(b"a\n\xff\xfe\nb", 2), "<a>\n<>\n<b>\n");
        assert_eq!(run(b"", 2), "");
    }
}
