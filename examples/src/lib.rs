//! Handlers shared by the example binaries, one module per feature.

pub mod features;

/// The README's code blocks, compiled as doctests so they cannot drift from the API.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
