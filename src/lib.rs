//! bwrap-doctor: makes bubblewrap failures explain themselves.
//!
//! One binary with two personalities (see [`personality`]): the transparent
//! `bwrap` shim ([`shim`]) and the `bwrap-doctor` command line ([`cli`]).
//! The diagnosis engine is a library too: a Rust caller can explain a bwrap
//! failure in-process with [`diagnose`], [`rules`], [`facts`] and [`probe`].

pub mod bwrap_args;
pub mod cause;
pub mod check;
pub mod cli;
pub mod config;
pub mod diagnose;
pub mod facts;
pub mod fault;
pub mod fix;
#[doc(hidden)]
pub mod fuzz;
pub mod install;
pub mod output;
pub mod personality;
pub mod privilege;
pub mod probe;
pub mod report;
pub mod rules;
pub mod shim;
