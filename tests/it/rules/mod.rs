//! Rule files: loading, validation errors, sources and overrides.

use crate::Test;

pub fn tests() -> Vec<Test> {
    Vec::new()
}
