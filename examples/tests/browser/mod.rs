//! Driving headless Chromium from tests: find it, run a page to completion with
//! `--dump-dom`, read the `<li>` items the page wrote. Installs nothing: the browser is
//! `$CHROME`, else `chromium` or `chromium-browser` on PATH; when there is none a test
//! prints `SKIPPED: …` to stderr and passes, or fails under `HTTP_RS_REQUIRE_TOOLS=1`.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../../testing/tools.rs"]
mod tools;
pub use tools::{find_on_path, tool_missing};

/// The Chromium to drive: `$CHROME` (a path or a name on PATH), else `chromium`, else
/// `chromium-browser` (the names Debian and Ubuntu give it).
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(chrome) = std::env::var_os("CHROME").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(&chrome);
        return if p.is_file() { Some(p) } else { find_on_path(&chrome.to_string_lossy()) };
    }
    find_on_path("chromium").or_else(|| find_on_path("chromium-browser"))
}

pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The text of every `<li>` in the dumped DOM.
pub fn list_items(dom: &str) -> Vec<String> {
    dom.split("<li>").skip(1).filter_map(|s| s.split_once("</li>")).map(|(item, _)| unescape(item)).collect()
}

/// Runs Chromium to completion (or kills it, the one child we started, after `limit`).
pub fn dump_dom(chromium: &Path, url: &str, extra_args: &[&str], limit: Duration) -> String {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = std::env::temp_dir().join(format!("browser-test-{}-{run}", std::process::id()));
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=15000",
        ])
        .args(extra_args)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&profile);
    reader.join().unwrap()
}
