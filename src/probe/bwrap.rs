//! (being written)

use super::Host;
use crate::facts::{Facts, Obs};

pub fn observe(_host: &Host, _facts: &Facts, key: &str) -> Obs {
    Obs::unavailable(format!("{key}: probe not written yet"))
}
