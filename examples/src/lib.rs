//! Handlers shared by the example binaries, one module per feature.

pub mod features;
