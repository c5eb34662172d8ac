//! The diagnosis: real bwrap failures reproduced on this machine and run
//! through the installed shim; fixture hosts through `explain --snapshot`;
//! the rules' own examples; the JSON output.

mod bwrap012;
mod compact;
mod corpus;
mod hosts;
mod json;
mod reproduce;
mod stages;

use crate::Test;

pub fn tests() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(reproduce::tests());
    v.extend(bwrap012::tests());
    v.extend(stages::tests());
    v.extend(hosts::tests());
    v.extend(json::tests());
    v.extend(compact::tests());
    v.extend(corpus::tests());
    v
}
