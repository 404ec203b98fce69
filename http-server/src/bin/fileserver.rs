//! The `fileserver` binary (filled by the static-files issue).
fn main() {}
