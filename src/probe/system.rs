//! (being written)

use super::Host;
use crate::facts::Obs;

pub fn observe(_host: &Host, key: &str) -> Obs {
    Obs::unavailable(format!("{key}: probe not written yet"))
}
