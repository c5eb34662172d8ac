//! What a program needs before it runs: its ELF interpreter (`PT_INTERP`) or
//! its `#!` interpreter. A sandbox that has the program but not that path
//! fails with "execvp PROGRAM: No such file or directory".

use super::Host;
use crate::facts::Obs;
use std::io::Read;

/// The interpreter named by the first bytes of a file, if any.
pub fn interpreter(head: &[u8], read_at: &dyn Fn(u64, usize) -> Option<Vec<u8>>) -> Option<String> {
    if let Some(rest) = head.strip_prefix(b"#!") {
        let line = rest.split(|&b| b == b'\n').next()?;
        let text = String::from_utf8_lossy(line);
        return text.split_whitespace().next().map(str::to_string);
    }
    // 64-bit little-endian ELF: walk the program headers for PT_INTERP.
    if !head.starts_with(b"\x7fELF") || head.get(4) != Some(&2) || head.get(5) != Some(&1) {
        return None;
    }
    let u16_at = |o: usize| head.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u64_at = |b: &[u8], o: usize| {
        b.get(o..o + 8).map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        })
    };
    let (phoff, phentsize, phnum) = (
        u64_at(head, 32)?,
        u16_at(54)? as usize,
        u16_at(56)? as usize,
    );
    if phentsize < 56 || phnum > 128 {
        return None;
    }
    let table = read_at(phoff, phentsize * phnum)?;
    for ph in table.chunks_exact(phentsize) {
        if ph.get(0..4) == Some(&3u32.to_le_bytes()[..]) {
            let (off, size) = (u64_at(ph, 8)?, u64_at(ph, 32)? as usize);
            let bytes = read_at(off, size.min(4096))?;
            let s = bytes.split(|&b| b == 0).next()?;
            return Some(String::from_utf8_lossy(s).into_owned());
        }
    }
    None
}

pub fn observe(host: &Host, key: &str, arg: &str) -> Obs {
    if key != "file.interpreter:" {
        return Obs::unavailable(format!("no probe named {key}{arg}"));
    }
    let path = host.path(arg);
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if super::is_missing(&e) => {
            return Obs::unavailable(format!("{arg} is not on this host"));
        }
        Err(e) => return Obs::unavailable(format!("cannot read {arg}: {e}")),
    };
    let mut head = vec![0u8; 256];
    let n = f.read(&mut head).unwrap_or(0);
    head.truncate(n);
    let read_at = |off: u64, len: usize| -> Option<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; len];
        let n = f.read_at(&mut buf, off).ok()?;
        buf.truncate(n);
        Some(buf)
    };
    match interpreter(&head, &read_at) {
        Some(i) => Obs::seen(i),
        None => Obs::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_and_elf_interpreters_are_read() {
        let none = |_: u64, _: usize| None;
        assert_eq!(
            interpreter(b"#!/usr/bin/env python3\nprint()", &none).as_deref(),
            Some("/usr/bin/env")
        );
        assert_eq!(
            interpreter(b"#! /bin/sh -e\n", &none).as_deref(),
            Some("/bin/sh")
        );
        assert_eq!(interpreter(b"plain text", &none), None);
        let sh = std::fs::read("/bin/sh").unwrap();
        let at = |o: u64, l: usize| {
            sh.get(o as usize..(o as usize + l).min(sh.len()))
                .map(<[u8]>::to_vec)
        };
        let interp = interpreter(&sh[..256], &at).expect("/bin/sh is dynamically linked");
        assert!(
            interp.starts_with("/lib") && interp.contains("ld-linux"),
            "{interp}"
        );
    }
}
