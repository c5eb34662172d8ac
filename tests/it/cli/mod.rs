//! The `bwrap-doctor` command line: check, install, uninstall.

pub mod check;
mod fix;
mod install;
mod output;
mod schemas;
mod usage;

use crate::Test;

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(check::tests());
    v.extend(fix::tests());
    v.extend(install::tests());
    v.extend(output::tests());
    v.extend(schemas::tests());
    v.extend(usage::tests());
    v
}
