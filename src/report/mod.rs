//! How a diagnosis is shown: as text after bwrap's own error (the shim and
//! `explain`), or as versioned JSON for tools.

pub mod human;
pub mod json;
