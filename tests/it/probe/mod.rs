//! Probes against fixture hosts and the live host.

use crate::Test;

pub fn tests() -> Vec<Test> {
    Vec::new()
}
