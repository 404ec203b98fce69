//! One module per feature; the `showcase` binary mounts them all.

pub mod echo;
