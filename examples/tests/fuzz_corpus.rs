//! Replays the committed fuzz seed corpus (`fuzz/corpus/<target>/`) through the same checks
//! the libFuzzer targets run (`fuzz/src/lib.rs`, compiled in here), so CI keeps every seed
//! and every crash that became a regression case without needing nightly or cargo-fuzz.

#[allow(unreachable_pub, missing_docs)]
#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{target}: only {} corpus files", files.len());
    for f in &files {
        let data = std::fs::read(f).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
            std::panic::resume_unwind(Box::new(format!("{target}: {} failed: {e:?}", f.display())));
        }
    }
}

#[test]
fn corpus_h1_head() {
    replay("h1_head", checks::h1_head);
}

#[test]
fn corpus_chunked() {
    replay("chunked", checks::chunked);
}

#[test]
fn corpus_range() {
    replay("range", checks::range);
}

#[test]
fn corpus_conditional() {
    replay("conditional", checks::conditional);
}

#[test]
fn corpus_router() {
    replay("router", checks::router);
}

#[test]
fn corpus_sse() {
    replay("sse", checks::sse);
}

#[test]
fn corpus_cookies() {
    replay("cookies", checks::cookies);
}

#[test]
fn corpus_path() {
    replay("path", checks::path);
}
