//! The caller's argv, kept as the C runtime handed it over, so that bwrap
//! receives the very same bytes (no UTF-8 round trip, no copies), and the
//! C runtime's environment, passed on as it is.

use std::ffi::{CStr, c_char, c_int};
use std::marker::PhantomData;

unsafe extern "C" {
    static environ: *const *const c_char;
}

/// The C runtime's environment block (`environ`), for `execve`: the
/// caller's environment, untouched (nothing in the shim changes it).
#[inline]
pub(super) fn environ_ptr() -> *const *const c_char {
    // SAFETY: reading the C runtime's `environ` pointer; it is valid for
    // the whole process, and nothing in the shim calls setenv/putenv.
    unsafe { environ }
}

/// A NULL-terminated argv: pointers into memory that lives as long as the
/// process (the C runtime's argv block, or static strings). Every pointer
/// before the final NULL is a valid C string: the invariant the safe
/// methods below rely on, which [`RawArgs::from_c_main`]'s caller promises.
pub struct RawArgs {
    ptrs: Vec<*const c_char>,
}

impl RawArgs {
    /// # Safety
    /// `argv` must hold `argc` valid NUL-terminated strings that live for the
    /// rest of the process, as the C runtime guarantees for `main`.
    #[must_use]
    pub unsafe fn from_c_main(argc: c_int, argv: *const *const c_char) -> Self {
        let n = usize::try_from(argc).unwrap_or(0);
        let mut ptrs = Vec::with_capacity(n + 1);
        for i in 0..n {
            // SAFETY: i < argc, per the contract above.
            let p = unsafe { *argv.add(i) };
            if p.is_null() {
                break;
            }
            ptrs.push(p);
        }
        ptrs.push(std::ptr::null());
        RawArgs { ptrs }
    }

    /// Build from owned strings (tests). The strings are leaked: argv must
    /// outlive every use, and these are small and few.
    #[cfg(test)]
    pub fn from_strings<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Vec<u8>>,
    {
        let mut ptrs: Vec<*const c_char> = items
            .into_iter()
            .map(|s| {
                let c = std::ffi::CString::new(s).unwrap_or_default();
                Box::leak(c.into_boxed_c_str()).as_ptr()
            })
            .collect();
        ptrs.push(std::ptr::null());
        RawArgs { ptrs }
    }

    /// `bwrap-doctor exec [--] ARGS…` → the argv bwrap would have had when
    /// called as `bwrap ARGS…`.
    #[must_use]
    pub fn for_exec_subcommand(&self) -> RawArgs {
        let mut rest = 2;
        if self.get(2) == Some(b"--".as_slice()) {
            rest = 3;
        }
        let mut ptrs = vec![c"bwrap".as_ptr()];
        ptrs.extend_from_slice(&self.ptrs[rest.min(self.len())..]);
        if ptrs.last().is_some_and(|p| !p.is_null()) {
            ptrs.push(std::ptr::null());
        }
        RawArgs { ptrs }
    }

    /// Number of arguments, argv[0] included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ptrs.len() - 1
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[must_use]
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len() {
            return None;
        }
        // SAFETY: every pointer before the terminating NULL is a valid C string.
        Some(unsafe { CStr::from_ptr(self.ptrs[i]) }.to_bytes())
    }

    /// Every argument after argv[0].
    pub fn operands(&self) -> impl Iterator<Item = &[u8]> {
        (1..self.len()).filter_map(|i| self.get(i))
    }

    /// This argv, for [`super::spawn`].
    #[inline]
    #[must_use]
    pub fn argv(&self) -> Argv<'_> {
        Argv { ptrs: &self.ptrs }
    }

    /// This argv with `extra` inserted after argv[0] (the shim's
    /// `--json-status-fd N`). The strings are borrowed, not copied.
    #[must_use]
    pub fn with_after_argv0<'a>(&'a self, extra: &[&'a CStr]) -> ExtendedArgv<'a> {
        let mut ptrs = Vec::with_capacity(self.ptrs.len() + extra.len());
        if self.is_empty() {
            // No argv[0] to insert after: the argv stays empty.
            ptrs.push(std::ptr::null());
        } else {
            ptrs.push(self.ptrs[0]);
            ptrs.extend(extra.iter().map(|s| s.as_ptr()));
            // The operands and the terminating NULL.
            ptrs.extend_from_slice(&self.ptrs[1..]);
        }
        ExtendedArgv {
            ptrs,
            _borrows: PhantomData,
        }
    }
}

/// A NULL-terminated argv for `execve` whose strings live at least as long
/// as `'a`: made only from a [`RawArgs`] or an [`ExtendedArgv`].
#[derive(Clone, Copy)]
pub struct Argv<'a> {
    ptrs: &'a [*const c_char],
}

impl Argv<'_> {
    #[inline]
    pub(super) fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }
}

/// A [`RawArgs`] with strings inserted, borrowing them.
pub struct ExtendedArgv<'a> {
    ptrs: Vec<*const c_char>,
    _borrows: PhantomData<&'a CStr>,
}

impl ExtendedArgv<'_> {
    #[inline]
    #[must_use]
    pub fn argv(&self) -> Argv<'_> {
        Argv { ptrs: &self.ptrs }
    }
}
