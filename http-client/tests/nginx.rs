//! nginx as a third, independent server: HTTP/1.1 keep-alive, gzip, HEAD and h2c prior
//! knowledge. Without nginx on PATH the test prints `SKIPPED: …` and passes, or fails
//! under `HTTP_RS_REQUIRE_TOOLS=1` (`.ci/run` installs it).

mod support;
#[path = "../../testing/tools.rs"]
mod tools;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use http_client::{Client, HttpVersion, Method, Version};
use support::bounded;
use tools::{Killed, free_port, require_tool};

/// nginx in the foreground with everything under `dir`: `h1` serves HTTP/1.1, `h2c`
/// HTTP/2 with prior knowledge, both from `dir/www` with gzip for text.
fn start_nginx(bin: &Path, dir: &Path, h1: u16, h2c: u16) -> Killed {
    let d = dir.display();
    let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|t| format!("{t}_temp_path {d}/{t};\n"))
        .collect();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log stderr warn;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n access_log off;\n{temp} gzip on; gzip_types text/plain; gzip_min_length 1;\n\
         server {{ listen 127.0.0.1:{h1}; root {d}/www; }}\n\
         server {{ listen 127.0.0.1:{h2c} http2; root {d}/www; }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(bin)
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stdout(Stdio::null())
        .spawn()
        .expect("nginx starts");
    Killed(child)
}

#[tokio::test]
async fn nginx_h1_keep_alive_gzip_head_and_h2c() {
    let Some(bin) = require_tool("nginx", "-v") else { return };
    let dir = std::env::temp_dir().join(format!("http-client-nginx-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("www")).unwrap();
    let text = "nginx says hello, hello, hello\n".repeat(1000);
    std::fs::write(dir.join("www/hello.txt"), &text).unwrap();
    let (h1, h2c) = (free_port(), free_port());
    let _nginx = start_nginx(&bin, &dir, h1, h2c);
    let url = format!("http://127.0.0.1:{h1}/hello.txt");
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    bounded(Duration::from_secs(10), "nginx listening", async {
        // Read to the end, so the connection goes back to the pool.
        while async { client.get(&url).send().await?.bytes().await }.await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    for _ in 0..3 {
        let res = client.get(&url).send().await.unwrap();
        assert_eq!(res.version(), Version::HTTP_11);
        assert!(res.connection_reused(), "keep-alive");
        assert_eq!(res.headers()["content-encoding"], "gzip");
        assert_eq!(res.text().await.unwrap(), text);
    }
    let head = client.request(Method::HEAD, &url).header("accept-encoding", "identity").send().await.unwrap();
    assert_eq!(head.content_length(), Some(text.len() as u64));
    assert!(head.bytes().await.unwrap().is_empty());
    let missing = client.get(&format!("http://127.0.0.1:{h1}/nope")).send().await.unwrap();
    assert!(missing.error_for_status().unwrap_err().is_status());
    let h2 = Client::builder().http_version(HttpVersion::Http2PriorKnowledge).build().unwrap();
    let res = h2.get(&format!("http://127.0.0.1:{h2c}/hello.txt")).send().await.unwrap();
    assert_eq!(res.version(), Version::HTTP_2);
    assert_eq!(res.text().await.unwrap(), text);
    let _ = std::fs::remove_dir_all(&dir);
}
