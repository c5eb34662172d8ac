//! What a program needs before it runs: its ELF interpreter (`PT_INTERP`) or
//! its `#!` interpreter. A sandbox that has the program but not that path
//! fails with "execvp PROGRAM: No such file or directory". And its format
//! (`file.format`): a program of another machine than the kernel's is
//! refused with ENOEXEC, which glibc's execvp turns into the ENOENT of a
//! missing /bin/sh (engine/rules/README.md, the ENOEXEC convention).

use super::{Facts, Host};
use crate::bwrap_args::ArgKind;
use crate::facts::Obs;
use serde_json::{Value, json};
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

/// What the first bytes of a program say about its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// An ELF file: its machine (`uname -m` spelling where there is one,
    /// `em-N` otherwise), its class (32 or 64) and byte order.
    Elf {
        machine: String,
        class: u8,
        little_endian: bool,
    },
    /// Starts with `#!`: the kernel runs it with its interpreter.
    Script,
    /// Anything else (empty, truncated, a format without a handler here):
    /// the kernel answers ENOEXEC.
    Other,
}

/// The format of a file from its first bytes (at most 64 are looked at:
/// the ELF identification and `e_machine`). A truncated ELF header (under
/// 20 bytes) or an unknown class or byte order is `Other`: the kernel
/// refuses such a file with ENOEXEC too.
#[must_use]
pub fn format(head: &[u8]) -> Format {
    if head.starts_with(b"#!") {
        return Format::Script;
    }
    if !head.starts_with(b"\x7fELF") || head.len() < 20 {
        return Format::Other;
    }
    let class = match head[4] {
        1 => 32,
        2 => 64,
        _ => return Format::Other,
    };
    let little_endian = match head[5] {
        1 => true,
        2 => false,
        _ => return Format::Other,
    };
    let em = if little_endian {
        u16::from_le_bytes([head[18], head[19]])
    } else {
        u16::from_be_bytes([head[18], head[19]])
    };
    Format::Elf {
        machine: machine_name(em, class, little_endian),
        class,
        little_endian,
    }
}

/// Which ELF programs of one `e_machine` a name in [`MACHINES`] is for.
#[derive(Clone, Copy)]
enum Variant {
    Any,
    /// ELFCLASS64.
    Wide,
    /// ELFCLASS32.
    Narrow,
    /// Little-endian.
    Little,
}

/// ELF `e_machine` values (elf.h's EM_*) as `uname -m` spells the machine,
/// the first row that fits a program naming it.
const MACHINES: &[(u16, Variant, &str)] = &[
    (3, Variant::Any, "i386"),
    (62, Variant::Any, "x86_64"),
    (40, Variant::Any, "arm"),
    (183, Variant::Any, "aarch64"),
    (8, Variant::Wide, "mips64"),
    (8, Variant::Narrow, "mips"),
    (20, Variant::Any, "ppc"),
    (21, Variant::Little, "ppc64le"),
    (21, Variant::Any, "ppc64"),
    (22, Variant::Wide, "s390x"),
    (22, Variant::Narrow, "s390"),
    (243, Variant::Wide, "riscv64"),
    (243, Variant::Narrow, "riscv32"),
    (258, Variant::Any, "loongarch64"),
    (2, Variant::Any, "sparc"),
    (43, Variant::Any, "sparc64"),
];

/// An ELF `e_machine` as `uname -m` spells the machine ([`MACHINES`]), or
/// `em-N` for one without a name here.
fn machine_name(em: u16, class: u8, le: bool) -> String {
    MACHINES
        .iter()
        .find(|(e, variant, _)| {
            *e == em
                && match variant {
                    Variant::Any => true,
                    Variant::Wide => class == 64,
                    Variant::Narrow => class != 64,
                    Variant::Little => le,
                }
        })
        .map_or_else(|| format!("em-{em}"), |(_, _, name)| (*name).to_string())
}

/// `uname -m` reduced to the names [`machine_name`] gives: i686 → i386,
/// armv7l → arm.
fn host_machine(uname: &str) -> &str {
    match uname {
        "i386" | "i486" | "i586" | "i686" => "i386",
        m if m.starts_with("arm") => "arm",
        m if m.starts_with("mips64") => "mips64",
        m if m.starts_with("mips") => "mips",
        m => m,
    }
}

/// Whether a kernel on `host` (`uname -m`) runs an ELF program of
/// `machine`: `Some(true)` for its own machine, `None` for the 32-bit
/// machine its compatibility layer may run (i386 on x86_64, arm on aarch64,
/// …: a kernel option, and AArch32 is missing from many ARM cores),
/// `Some(false)` otherwise.
#[must_use]
pub fn runs_natively(host: &str, machine: &str, class: u8) -> Option<bool> {
    let host = host_machine(host);
    // A machine without a name here (`em-N`), or a kernel's name this table
    // does not give (alpha, hppa, m68k…): unknown, never "foreign".
    if machine.starts_with("em-") || !MACHINES.iter().any(|(_, _, name)| *name == host) {
        return None;
    }
    if machine == host {
        // x32 (an x86_64 ELF of class 32) needs its own kernel option.
        return if machine == "x86_64" && class == 32 {
            None
        } else {
            Some(true)
        };
    }
    let compat = matches!(
        (host, machine),
        ("x86_64", "i386")
            | ("aarch64", "arm")
            | ("ppc64" | "ppc64le", "ppc")
            | ("s390x", "s390")
            | ("mips64", "mips")
            | ("riscv64", "riscv32")
            | ("sparc64", "sparc")
    );
    if compat { None } else { Some(false) }
}

/// The host file the call puts at the sandbox path `prog`: the source of
/// the last bind at it or at a directory above it, with the rest of the
/// path appended; `prog` itself when the call's arguments are not known.
/// `Err(Absent)` when the call puts nothing there, `Err(Unavailable)` when
/// it puts something other than a host file's bind there.
pub fn host_file(facts: &Facts, prog: &str) -> Result<String, Obs> {
    if !prog.starts_with('/') {
        return Err(Obs::unavailable(format!(
            "{prog} is looked up on the sandbox's PATH"
        )));
    }
    let Some(args) = &facts.ctx.args else {
        return Ok(prog.to_string());
    };
    let Some((op, rest)) = args.covering(prog) else {
        if !args.unread_args_fds.is_empty() {
            return Err(Obs::unavailable(
                "part of the arguments came through an --args pipe that cannot be read back",
            ));
        }
        return Err(Obs::Absent);
    };
    let bind = op.name.ends_with("bind") || op.name.ends_with("bind-try");
    match op.arg(ArgKind::Src) {
        Some(src) if bind && src.starts_with('/') => {
            let src = src.trim_end_matches('/');
            Ok(if rest.is_empty() {
                if src.is_empty() {
                    "/".to_string()
                } else {
                    src.to_string()
                }
            } else {
                format!("{src}/{rest}")
            })
        }
        Some(src) if bind => Err(Obs::unavailable(format!(
            "{} binds a relative source, {src}",
            op.name
        ))),
        _ => Err(Obs::unavailable(format!(
            "the call puts {} at {}, not a host file's bind",
            op.name,
            op.arg(ArgKind::Dest).unwrap_or("?")
        ))),
    }
}

fn missing(host_path: Option<&str>) -> Obs {
    Obs::seen(json!({
        "format": "missing",
        "machine": null,
        "class": null,
        "endian": null,
        "native": null,
        "host_path": host_path,
        "binfmt": null,
    }))
}

/// One binfmt_misc entry (/proc/sys/fs/binfmt_misc/NAME), as the kernel
/// prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    pub name: String,
    pub enabled: bool,
    pub interpreter: String,
    pub flags: String,
    /// `offset`, `magic`, `mask` (all ones when none), or None for an
    /// extension entry.
    pub magic: Option<(usize, Vec<u8>, Vec<u8>)>,
    pub extension: Option<String>,
}

fn unhex(h: &str) -> Option<Vec<u8>> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Parse a binfmt_misc entry file (`enabled`, `interpreter …`, `flags: …`,
/// `offset N`, `magic HEX`, `mask HEX` or `extension .EXT`).
#[must_use]
pub fn parse_handler(name: &str, text: &str) -> Option<Handler> {
    let mut h = Handler {
        name: name.to_string(),
        enabled: false,
        interpreter: String::new(),
        flags: String::new(),
        magic: None,
        extension: None,
    };
    let (mut offset, mut magic, mut mask) = (0usize, None, None);
    for line in text.lines() {
        let line = line.trim();
        match line.split_once(' ') {
            _ if line == "enabled" => h.enabled = true,
            Some(("interpreter", v)) => h.interpreter = v.to_string(),
            Some(("flags:", v)) => h.flags = v.to_string(),
            Some(("offset", v)) => offset = v.parse().ok()?,
            Some(("magic", v)) => magic = Some(unhex(v)?),
            Some(("mask", v)) => mask = Some(unhex(v)?),
            Some(("extension", v)) => h.extension = Some(v.trim_start_matches('.').to_string()),
            _ => {}
        }
    }
    if let Some(m) = magic {
        let mask = mask.unwrap_or_else(|| vec![0xff; m.len()]);
        h.magic = Some((offset, m, mask));
    }
    Some(h)
}

/// Does `h` claim the file whose first bytes are `head` and whose name is
/// `prog`? `None` when its magic lies beyond the bytes read.
#[must_use]
pub fn handler_claims(h: &Handler, head: &[u8], prog: &str) -> Option<bool> {
    if let Some(ext) = &h.extension {
        let name = prog.rsplit('/').next().unwrap_or(prog);
        return Some(name.rsplit_once('.').is_some_and(|(_, e)| e == ext));
    }
    let (offset, magic, mask) = h.magic.as_ref()?;
    let Some(bytes) = head.get(*offset..offset + magic.len()) else {
        // The file is shorter than the magic (no match), or longer than
        // what was read (cannot tell).
        return (head.len() < crate::sys::fs::HEAD_CAP).then_some(false);
    };
    Some(
        bytes
            .iter()
            .zip(magic)
            .zip(mask.iter().chain(std::iter::repeat(&0xff)))
            .all(|((b, m), k)| (b ^ m) & k == 0),
    )
}

/// What binfmt_misc does with the file: `"none"` (no enabled handler
/// claims it), `"unknown"` (binfmt_misc is not mounted here or cannot be
/// read: a container's host may still have handlers), or the handler that
/// claims it `{name, interpreter, flags}`.
fn binfmt(host: &Host, head: &[u8], prog: &str) -> Value {
    let dir = "/proc/sys/fs/binfmt_misc";
    match host.read_fact(&format!("{dir}/status")) {
        Ok(s) if s.trim() == "disabled" => return json!("none"),
        Ok(_) => {}
        Err(_) => return json!("unknown"),
    }
    let Ok(entries) = std::fs::read_dir(host.path(dir)) else {
        return json!("unknown");
    };
    let mut undecided = false;
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "status" && n != "register")
        .collect();
    names.sort();
    for name in names {
        let Ok(text) = host.read_fact(&format!("{dir}/{name}")) else {
            undecided = true;
            continue;
        };
        let Some(h) = parse_handler(&name, &text) else {
            undecided = true;
            continue;
        };
        if !h.enabled {
            continue;
        }
        match handler_claims(&h, head, prog) {
            Some(true) => {
                return json!({"name": h.name, "interpreter": h.interpreter, "flags": h.flags});
            }
            Some(false) => {}
            None => undecided = true,
        }
    }
    json!(if undecided { "unknown" } else { "none" })
}

/// `file.format:PROG`: see the catalogue.
pub fn observe_format(host: &Host, facts: &Facts, prog: &str) -> Obs {
    let path = match host_file(facts, prog) {
        Ok(p) => p,
        Err(Obs::Absent) => return missing(None),
        Err(o) => return o,
    };
    // /proc and /dev/fd name this process's own files (its descriptors, its
    // executable), not what bwrap bound: not read.
    if [
        "/proc",
        "/dev/fd",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return Obs::unavailable(format!(
            "{path} names this process's own files, not the program bwrap ran"
        ));
    }
    // An absolute symlink resolves against the sandbox's root there, not
    // the host's: what the host shows at its target is not the sandbox's.
    if let Ok(target) = std::fs::read_link(host.path(&path))
        && target.is_absolute()
    {
        return Obs::unavailable(format!(
            "{path} is a symlink to {}, which resolves inside the sandbox",
            target.display()
        ));
    }
    read_format(host, facts, &path, prog)
}

/// `bwrap.format`: the format of the bwrap that ran (at `bwrap`, a host
/// path), as `file.format` describes a program: an ELF of another machine
/// than the kernel's (`native: false`) is run by an emulator
/// (binfmt_misc's handler: qemu-user), not by the kernel.
///
/// Its `emulation` field says what this host shows of an emulator under
/// bwrap: `"seen"` (a foreign ELF), `"ruled-out"` (an ELF of the kernel's
/// machine, that machine read from /proc/sys/kernel/arch, which qemu-user
/// does not answer for the kernel: Linux 6.1+), `"unknown"` otherwise
/// (uname(2), which an emulator answers with the machine it emulates; a
/// script; a 32-bit compatibility program).
pub fn observe_bwrap_format(host: &Host, facts: &Facts, bwrap: &str) -> Obs {
    let mut obs = read_format(host, facts, bwrap, bwrap);
    if let Obs::Seen(v @ Value::Object(_)) = &mut obs {
        let arch_file = host.read_fact("/proc/sys/kernel/arch").is_ok();
        v["emulation"] = json!(emulation(v["native"].as_bool(), arch_file));
    }
    obs
}

/// `bwrap.format`'s `emulation` from its `native` and whether the kernel's
/// machine came from /proc/sys/kernel/arch.
fn emulation(native: Option<bool>, arch_file: bool) -> &'static str {
    match native {
        Some(false) => "seen",
        Some(true) if arch_file => "ruled-out",
        _ => "unknown",
    }
}

/// Read the first bytes of the host file `path` (run as `prog`) and
/// describe its format against `kernel.machine`.
fn read_format(host: &Host, facts: &Facts, path: &str, prog: &str) -> Obs {
    let Ok(c) = std::ffi::CString::new(host.path(path).into_os_string().into_encoded_bytes())
    else {
        return Obs::unavailable(format!("{path} holds a NUL byte"));
    };
    let limit = host.experiments.then_some(host.limit);
    let head = crate::sys::fs::read_head(&c, limit);
    let uname = match facts.get("kernel.machine") {
        Obs::Seen(Value::String(m)) => Some(m),
        _ => None,
    };
    describe(head, path, uname.as_deref(), &|h| binfmt(host, h, prog))
}

/// The `file.format` value for what [`crate::sys::fs::read_head`] read at
/// the host path `path`, on a kernel of machine `uname` (if known).
/// `binfmt_of` says what binfmt_misc does with a file the kernel does not
/// run itself (asked only then).
fn describe(
    head: Result<Result<crate::sys::fs::Head, i32>, crate::sys::fork::Failure>,
    path: &str,
    uname: Option<&str>,
    binfmt_of: &dyn Fn(&[u8]) -> Value,
) -> Obs {
    let value = |format: &str, native: Option<bool>| {
        json!({
            "format": format,
            "machine": null,
            "class": null,
            "endian": null,
            "native": native,
            "host_path": path,
            "binfmt": null,
        })
    };
    let head = match head {
        Ok(Ok(crate::sys::fs::Head::File(h))) => h,
        // A directory or a device: execve refuses it with EACCES, not for
        // its format. A directory is never a program a caller means: an
        // operand shifted into the command's place (an option given one
        // operand too few), so it is told apart.
        Ok(Ok(crate::sys::fs::Head::Directory)) => return Obs::Seen(value("directory", None)),
        Ok(Ok(_)) => return Obs::Seen(value("other", None)),
        Ok(Err(e)) if e == libc::ENOENT || e == libc::ENOTDIR => return missing(Some(path)),
        Ok(Err(e)) => {
            return Obs::unavailable(format!(
                "cannot read {path}: {}",
                std::io::Error::from_raw_os_error(e)
            ));
        }
        Err(f) => return Obs::unavailable(f.reason(&format!("reading {path}"))),
    };
    let mut v = match format(&head) {
        Format::Elf {
            machine,
            class,
            little_endian,
        } => json!({
            "format": "elf",
            "native": uname.and_then(|u| runs_natively(u, &machine, class)),
            "machine": machine,
            "class": class,
            "endian": if little_endian { "little" } else { "big" },
            "host_path": path,
            "binfmt": null,
        }),
        Format::Script => value("script", Some(true)),
        Format::Other => value("other", Some(false)),
    };
    if v["native"] != Value::Bool(true) {
        v["binfmt"] = binfmt_of(&head);
    }
    Obs::Seen(v)
}

/// `file.seen_foreign:PROG`: `file.format` seen with `native` false; false
/// whenever that was not seen.
pub fn seen_foreign(facts: &Facts, prog: &str) -> Obs {
    let foreign = match facts.get(&format!("file.format:{prog}")) {
        Obs::Seen(v) => v.get("native") == Some(&Value::Bool(false)),
        _ => false,
    };
    Obs::seen(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ELF header's first 20 bytes: class, byte order, `e_machine`.
    fn elf(class: u8, data: u8, em: u16) -> Vec<u8> {
        let mut h = b"\x7fELF".to_vec();
        h.extend_from_slice(&[class, data, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        h.extend_from_slice(&[2, 0]); // e_type
        let em = if data == 2 {
            em.to_be_bytes()
        } else {
            em.to_le_bytes()
        };
        h.extend_from_slice(&em);
        h
    }

    fn elf_of(machine: &str, class: u8, little_endian: bool) -> Format {
        Format::Elf {
            machine: machine.to_string(),
            class,
            little_endian,
        }
    }

    #[test]
    fn an_elf_header_gives_its_machine_class_and_byte_order() {
        assert_eq!(format(&elf(2, 1, 183)), elf_of("aarch64", 64, true));
        assert_eq!(format(&elf(2, 1, 62)), elf_of("x86_64", 64, true));
        // 32-bit
        assert_eq!(format(&elf(1, 1, 3)), elf_of("i386", 32, true));
        assert_eq!(format(&elf(1, 1, 40)), elf_of("arm", 32, true));
        // big-endian: e_machine is read in the file's own byte order
        assert_eq!(format(&elf(2, 2, 22)), elf_of("s390x", 64, false));
        assert_eq!(format(&elf(2, 2, 21)), elf_of("ppc64", 64, false));
        assert_eq!(format(&elf(2, 1, 21)), elf_of("ppc64le", 64, true));
        assert_eq!(format(&elf(2, 1, 9999)), elf_of("em-9999", 64, true));
        // this very test program is of the machine it was built for
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let Format::Elf { machine, .. } = format(&me[..64]) else {
            panic!("the test binary is not ELF");
        };
        assert_eq!(
            runs_natively(std::env::consts::ARCH, &machine, 64),
            Some(true)
        );
    }

    #[test]
    fn a_truncated_empty_or_unknown_header_is_other_and_a_shebang_a_script() {
        let full = elf(2, 1, 183);
        assert_eq!(
            format(&full[..19]),
            Format::Other,
            "truncated before e_machine"
        );
        assert_eq!(format(b"\x7fEL"), Format::Other);
        assert_eq!(format(b""), Format::Other, "empty");
        assert_eq!(format(&elf(3, 1, 183)), Format::Other, "unknown class");
        assert_eq!(format(&elf(2, 7, 183)), Format::Other, "unknown byte order");
        assert_eq!(format(b"MZ\x90\0"), Format::Other);
        assert_eq!(format(b"echo hi\n"), Format::Other, "a script without #!");
        assert_eq!(format(b"#!/bin/sh\n"), Format::Script);
        assert_eq!(format(b"#!"), Format::Script);
    }

    #[test]
    fn the_host_machine_runs_its_own_and_maybe_its_32_bit_compatibility_machine() {
        assert_eq!(runs_natively("x86_64", "x86_64", 64), Some(true));
        assert_eq!(runs_natively("x86_64", "aarch64", 64), Some(false));
        assert_eq!(runs_natively("aarch64", "x86_64", 64), Some(false));
        assert_eq!(runs_natively("x86_64", "i386", 32), None);
        assert_eq!(runs_natively("x86_64", "x86_64", 32), None, "x32");
        assert_eq!(runs_natively("aarch64", "arm", 32), None);
        assert_eq!(runs_natively("armv7l", "arm", 32), Some(true));
        // Under uname(2) alone a native-looking bwrap may still be emulated.
        assert_eq!(emulation(Some(false), false), "seen");
        assert_eq!(emulation(Some(true), true), "ruled-out");
        assert_eq!(emulation(Some(true), false), "unknown");
        assert_eq!(emulation(None, true), "unknown");
        // A machine or a kernel without a name here is unknown, not foreign.
        assert_eq!(runs_natively("x86_64", "em-36902", 64), None);
        assert_eq!(runs_natively("alpha", "em-36902", 64), None);
        assert_eq!(runs_natively("parisc", "em-15", 32), None);
        assert_eq!(runs_natively("i686", "i386", 32), Some(true));
        assert_eq!(runs_natively("i686", "x86_64", 64), Some(false));
        assert_eq!(runs_natively("ppc64le", "ppc64", 64), Some(false));
    }

    fn read(path: &std::path::Path) -> Obs {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        let head = crate::sys::fs::read_head(&c, Some(std::time::Duration::from_secs(5)));
        describe(head, &path.display().to_string(), Some("x86_64"), &|_| {
            json!("none")
        })
    }

    fn field<'a>(o: &'a Obs, f: &str) -> &'a Value {
        o.value().and_then(|v| v.get(f)).unwrap_or(&Value::Null)
    }

    #[test]
    fn files_directories_and_missing_paths_are_read_as_formats() {
        let dir = std::env::temp_dir().join(format!("bwd-format-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let put = |name: &str, bytes: &[u8]| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let arm = read(&put("arm64", &elf(2, 1, 183)));
        assert_eq!(field(&arm, "format"), "elf");
        assert_eq!(field(&arm, "machine"), "aarch64");
        assert_eq!(field(&arm, "native"), false);
        let i386 = read(&put("i386", &elf(1, 1, 3)));
        assert_eq!(field(&i386, "class"), 32);
        assert_eq!(field(&i386, "native"), &Value::Null);
        let s390 = read(&put("s390x", &elf(2, 2, 22)));
        assert_eq!(field(&s390, "endian"), "big");
        assert_eq!(field(&s390, "native"), false);
        let cut = read(&put("cut", &elf(2, 1, 183)[..10]));
        assert_eq!(field(&cut, "format"), "other");
        assert_eq!(field(&cut, "native"), false);
        let empty = read(&put("empty", b""));
        assert_eq!(field(&empty, "format"), "other");
        let script = read(&put("script", b"#!/bin/sh\nexit 0\n"));
        assert_eq!(field(&script, "format"), "script");
        assert_eq!(field(&script, "native"), true);
        let d = read(&dir);
        assert_eq!(field(&d, "format"), "directory");
        assert_eq!(field(&d, "native"), &Value::Null, "a directory is EACCES's");
        let dev = read(std::path::Path::new("/dev/null"));
        assert_eq!(field(&dev, "format"), "other");
        assert_eq!(field(&dev, "native"), &Value::Null, "a device is EACCES's");
        let gone = read(&dir.join("nothing"));
        assert_eq!(field(&gone, "format"), "missing");
        let under_file = read(&dir.join("script/x"));
        assert_eq!(field(&under_file, "format"), "missing", "ENOTDIR");
        // Only the header is read, however long the file.
        let mut big = elf(2, 1, 62);
        big.resize(1 << 20, 0xAA);
        assert_eq!(field(&read(&put("big", &big)), "native"), true);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_program_is_unavailable_not_missing() {
        let none = |_: &[u8]| json!("none");
        let eacces = describe(Ok(Err(libc::EACCES)), "/opt/tool", Some("x86_64"), &none);
        assert!(matches!(eacces, Obs::Unavailable(_)), "{eacces:?}");
        let timeout = describe(
            Err(crate::sys::fork::Failure::Timeout(
                std::time::Duration::from_millis(500),
            )),
            "/mnt/nfs/tool",
            Some("x86_64"),
            &none,
        );
        assert!(matches!(timeout, Obs::Unavailable(_)), "{timeout:?}");
        // For real, where this process's ids are not root's.
        if nix::unistd::geteuid().is_root() {
            eprintln!("skipped the real unreadable file: root reads any mode");
            return;
        }
        let p = std::env::temp_dir().join(format!("bwd-unreadable-{}", std::process::id()));
        std::fs::write(&p, elf(2, 1, 183)).unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o111)).unwrap();
        let o = read(&p);
        std::fs::remove_file(&p).unwrap();
        assert!(matches!(o, Obs::Unavailable(_)), "{o:?}");
    }

    fn host_file_of(argv: Option<&[&str]>, prog: &str) -> Result<String, Obs> {
        let args = argv.map(|a| crate::bwrap_args::parse(a, &|_| None));
        let ctx = crate::probe::Context { bwrap: None, args };
        let facts = Facts::recorded(std::collections::BTreeMap::new(), ctx);
        host_file(&facts, prog)
    }

    #[test]
    fn the_host_file_is_the_source_of_the_last_bind_at_or_above_the_path() {
        let prog = "/opt/tool/bin/tool";
        let t = |argv: &[&str]| host_file_of(Some(argv), prog);
        assert_eq!(t(&["--ro-bind", "/", "/", "true"]), Ok(prog.to_string()));
        assert_eq!(
            t(&["--ro-bind", "/srv/x86/tool", prog, "true"]),
            Ok("/srv/x86/tool".to_string())
        );
        assert_eq!(
            t(&["--bind", "/", "/", "--ro-bind", "/srv/opt/", "/opt", "true"]),
            Ok("/srv/opt/tool/bin/tool".to_string())
        );
        // a later mount above the path hides an earlier one below it
        assert!(matches!(
            t(&["--ro-bind", "/a", prog, "--tmpfs", "/opt", "true"]),
            Err(Obs::Unavailable(_))
        ));
        assert_eq!(
            t(&["--ro-bind", "/usr", "/usr", "true"]),
            Err(Obs::Absent),
            "the call puts nothing there"
        );
        assert!(matches!(
            t(&["--ro-bind", "rel/tool", prog, "true"]),
            Err(Obs::Unavailable(_))
        ));
        assert!(matches!(
            t(&["--symlink", "/usr/bin/x", prog, "true"]),
            Err(Obs::Unavailable(_))
        ));
        // the call not known: the host's own path
        assert_eq!(host_file_of(None, prog), Ok(prog.to_string()));
        assert!(matches!(
            host_file_of(None, "ldconfig"),
            Err(Obs::Unavailable(_))
        ));
    }

    const QEMU_AARCH64: &str = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PC\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n";

    #[test]
    fn a_binfmt_misc_entry_claims_the_files_its_magic_or_extension_names() {
        let h = parse_handler("qemu-aarch64", QEMU_AARCH64).unwrap();
        assert!(h.enabled);
        assert_eq!(h.interpreter, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
        assert_eq!(h.flags, "PC");
        let mut arm = elf(2, 1, 183);
        arm.resize(64, 0);
        assert_eq!(handler_claims(&h, &arm, "/opt/tool"), Some(true));
        let mut x86 = elf(2, 1, 62);
        x86.resize(64, 0);
        assert_eq!(handler_claims(&h, &x86, "/opt/tool"), Some(false));
        assert_eq!(
            handler_claims(&h, &arm[..10], "/opt/tool"),
            Some(false),
            "a file shorter than the magic"
        );
        let off = parse_handler(
            "far",
            "enabled\ninterpreter /x\nflags: \noffset 100\nmagic 00\n",
        )
        .unwrap();
        assert_eq!(off.flags, "");
        assert_eq!(
            handler_claims(&off, &arm, "/opt/tool"),
            None,
            "beyond the bytes read"
        );
        let wine = parse_handler(
            "wine",
            "disabled\ninterpreter /usr/bin/wine\nflags: \nextension .exe\n",
        )
        .unwrap();
        assert!(!wine.enabled);
        assert_eq!(
            handler_claims(&wine, b"MZ", "/opt/app/setup.exe"),
            Some(true)
        );
        assert_eq!(handler_claims(&wine, b"MZ", "/opt/app/setup"), Some(false));
    }

    #[test]
    fn binfmt_misc_is_read_from_the_host_root() {
        let root = std::env::temp_dir().join(format!("bwd-binfmt-{}", std::process::id()));
        let dir = root.join("proc/sys/fs/binfmt_misc");
        std::fs::create_dir_all(&dir).unwrap();
        let host = Host::fixture(&root);
        let mut arm = elf(2, 1, 183);
        arm.resize(64, 0);
        let mut x86 = elf(2, 1, 62);
        x86.resize(64, 0);
        assert_eq!(binfmt(&host, &arm, "/t"), json!("unknown"), "not mounted");
        std::fs::write(dir.join("status"), "enabled\n").unwrap();
        std::fs::write(dir.join("register"), "").unwrap();
        assert_eq!(binfmt(&host, &arm, "/t"), json!("none"));
        std::fs::write(dir.join("qemu-aarch64"), QEMU_AARCH64).unwrap();
        assert_eq!(
            binfmt(&host, &arm, "/t"),
            json!({"name": "qemu-aarch64", "interpreter": "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "flags": "PC"})
        );
        assert_eq!(binfmt(&host, &x86, "/t"), json!("none"));
        std::fs::write(dir.join("status"), "disabled\n").unwrap();
        assert_eq!(binfmt(&host, &arm, "/t"), json!("none"), "binfmt_misc off");
        std::fs::remove_dir_all(&root).unwrap();
    }

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
