//! An ELF note that marks every build of bwrap-doctor, so that the shim can
//! recognise another copy of itself (a byte-for-byte copy, or another version
//! installed elsewhere on PATH) by reading a few hundred bytes of a candidate
//! instead of the whole file.

use std::fs::File;
use std::os::unix::fs::FileExt;

const NOTE_NAME: &[u8; 13] = b"bwrap-doctor\0";
const NOTE_TYPE: u32 = 0x6277_6463; // "bwdc"

/// The note's layout, for the static in `main.rs` (only the `bwrap-doctor`
/// binary carries it; the library and its test programs do not).
#[repr(C, align(4))]
pub struct Note {
    pub namesz: u32,
    pub descsz: u32,
    pub kind: u32,
    pub name: [u8; 16],
    pub desc: [u8; 4],
}

/// The marker note of this program.
pub const MARKER: Note = Note {
    namesz: NOTE_NAME.len() as u32,
    descsz: 4,
    kind: NOTE_TYPE,
    name: *b"bwrap-doctor\0\0\0\0",
    desc: *b"shim",
};

/// What a candidate `bwrap` file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An ELF executable carrying the bwrap-doctor note: a copy of the shim.
    Shim,
    /// Any other ELF executable: taken to be a real bubblewrap.
    Elf,
    /// A `#!` script: a wrapper that may call `bwrap` from PATH again.
    Script,
    /// Neither; the kernel will decide whether it runs.
    Other,
}

/// Classify an executable by its first bytes and, for ELF, its notes.
#[must_use]
pub fn classify(file: &File) -> FileKind {
    let mut head = [0u8; 4096];
    let n = read_at(file, &mut head, 0);
    let head = &head[..n];
    if head.starts_with(b"#!") {
        return FileKind::Script;
    }
    if !head.starts_with(b"\x7fELF") || n < 64 {
        return FileKind::Other;
    }
    if has_marker_note(file, head) {
        FileKind::Shim
    } else {
        FileKind::Elf
    }
}

fn read_at(file: &File, buf: &mut [u8], offset: u64) -> usize {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    done
}

/// Walk the program headers (64-bit little-endian ELF only, which is every
/// platform bwrap-doctor builds for) and look for our note in `PT_NOTE`s.
fn has_marker_note(file: &File, head: &[u8]) -> bool {
    const PT_NOTE: u32 = 4;
    if head.get(4) != Some(&2) || head.get(5) != Some(&1) {
        return false; // not ELFCLASS64 / ELFDATA2LSB
    }
    let u16_at = |b: &[u8], o: usize| b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u32_at = |b: &[u8], o: usize| {
        b.get(o..o + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let u64_at = |b: &[u8], o: usize| {
        b.get(o..o + 8).map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        })
    };
    let (Some(phoff), Some(phentsize), Some(phnum)) =
        (u64_at(head, 32), u16_at(head, 54), u16_at(head, 56))
    else {
        return false;
    };
    let (phoff, phentsize, phnum) = (phoff as usize, phentsize as usize, phnum as usize);
    if phentsize < 56 || phnum > 64 {
        return false;
    }
    let len = phentsize * phnum;
    // The table is in the bytes already read, except in unusual layouts.
    let mut read;
    let table = if phoff + len <= head.len() {
        &head[phoff..phoff + len]
    } else {
        read = vec![0u8; len];
        let n = read_at(file, &mut read, phoff as u64);
        &read[..n]
    };
    for ph in table.chunks_exact(phentsize) {
        if u32_at(ph, 0) != Some(PT_NOTE) {
            continue;
        }
        let (Some(off), Some(size)) = (u64_at(ph, 8), u64_at(ph, 32)) else {
            continue;
        };
        if size > 64 * 1024 {
            continue;
        }
        let mut notes = vec![0u8; size as usize];
        let n = read_at(file, &mut notes, off);
        if notes_contain_marker(&notes[..n]) {
            return true;
        }
    }
    false
}

fn notes_contain_marker(mut notes: &[u8]) -> bool {
    let align4 = |x: usize| (x + 3) & !3;
    while notes.len() >= 12 {
        let namesz = u32::from_le_bytes([notes[0], notes[1], notes[2], notes[3]]) as usize;
        let descsz = u32::from_le_bytes([notes[4], notes[5], notes[6], notes[7]]) as usize;
        let kind = u32::from_le_bytes([notes[8], notes[9], notes[10], notes[11]]);
        let name_end = 12 + namesz;
        if notes.len() < name_end {
            return false;
        }
        if kind == NOTE_TYPE && &notes[12..name_end] == NOTE_NAME.as_slice() {
            return true;
        }
        let next = 12 + align4(namesz) + align4(descsz);
        if next > notes.len() {
            return false;
        }
        notes = &notes[next..];
    }
    false
}
