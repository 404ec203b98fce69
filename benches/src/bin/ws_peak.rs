//! `ws_peak`: a server's peak extra memory while it echoes one large WebSocket message.
//!
//! Connects to a running echo server (`--port`, `--path`) with http-ws's client
//! (offering permessage-deflate with `--deflate`), echoes one small message, then resets
//! the server's peak-RSS mark (`echo 5 > /proc/PID/clear_refs`, Linux ≥ 4.0), reads its
//! `VmRSS`, sends one `--size`-byte binary message (default 16 MiB) and reads its echo
//! (checked byte for byte), and reads the server's `VmHWM`: the difference is the peak
//! extra memory the echo needed, printed also as a multiple of the message size.
//!
//! `--content random` (default) is incompressible, the worst case for deflate: the
//! compressed message is as large as the plain one; `--content text` compresses well.
//!
//! ```text
//! target/release/ws_peak --port 8080 --path /ws --server-pid $(pgrep -n showcase) --deflate
//! ```

use std::time::Duration;

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http_ws::client::Client;
use http_ws::{DeflateConfig, Message};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Content {
    /// Pseudo-random bytes (incompressible).
    Random,
    /// Repeated English text (compresses about 100:1).
    Text,
}

#[derive(Parser)]
#[command(about = "Peak server memory around one large WebSocket echo")]
struct Cli {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long)]
    port: u16,
    /// Request path of the WebSocket endpoint.
    #[arg(long, default_value = "/ws")]
    path: String,
    /// The server's process id.
    #[arg(long)]
    server_pid: u32,
    /// Payload bytes of the message.
    #[arg(long, default_value_t = 16 << 20)]
    size: usize,
    /// Offer permessage-deflate (the message then travels compressed both ways if the
    /// server accepts it).
    #[arg(long)]
    deflate: bool,
    /// What the message holds.
    #[arg(long, value_enum, default_value_t = Content::Random)]
    content: Content,
}

/// A `kB` field of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server is running");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim_start_matches(':').trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

fn payload(size: usize, content: Content) -> Vec<u8> {
    match content {
        Content::Random => {
            let mut x = 0x2545_f491_4f6c_dd1d_u64;
            (0..size)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 32) as u8
                })
                .collect()
        }
        Content::Text => b"The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. "
            .iter()
            .copied()
            .cycle()
            .take(size)
            .collect(),
    }
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let data = Bytes::from(payload(cli.size, cli.content));
    let result = rt.block_on(async {
        let url = format!("ws://{}:{}{}", cli.host, cli.port, cli.path);
        let mut config = http_ws::Config::default();
        config.max_message_size = cli.size.max(16 << 20);
        config.max_frame_size = cli.size.max(16 << 20);
        let client = Client::new().config(config).deflate(cli.deflate.then(DeflateConfig::default));
        let mut ws = client.connect(&url).await?;
        let negotiated = ws.config().deflate.is_some();
        ws.send(Message::binary(vec![7u8; 100])).await?;
        ws.recv().await.ok_or(http_ws::Error::AbnormalClosure)??;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reset = std::fs::write(format!("/proc/{}/clear_refs", cli.server_pid), "5").is_ok();
        let rss_before = status_kib(cli.server_pid, "VmRSS");
        let hwm_before = status_kib(cli.server_pid, "VmHWM");
        ws.send(Message::Binary(data.clone())).await?;
        let echo = ws.recv().await.ok_or(http_ws::Error::AbnormalClosure)??;
        let ok = echo.as_payload() == &data[..];
        tokio::time::sleep(Duration::from_millis(200)).await;
        let hwm_after = status_kib(cli.server_pid, "VmHWM");
        let rss_after = status_kib(cli.server_pid, "VmRSS");
        let _ = ws.close(http_ws::CloseCode::NORMAL, "").await;
        Ok::<_, http_ws::Error>((negotiated, reset, rss_before, hwm_before, hwm_after, rss_after, ok))
    });
    match result {
        Ok((negotiated, reset, rss_before, hwm_before, hwm_after, rss_after, ok)) => {
            let extra = hwm_after.saturating_sub(rss_before);
            println!(
                "size={} content={:?} deflate={} peak_reset={} rss_before_kib={} hwm_before_kib={} hwm_after_kib={} rss_after_kib={} peak_extra_kib={} peak_extra_x_size={:.2} echo_ok={}",
                cli.size,
                cli.content,
                negotiated,
                reset,
                rss_before,
                hwm_before,
                hwm_after,
                rss_after,
                extra,
                (extra * 1024) as f64 / cli.size as f64,
                ok
            );
            if !ok || !reset {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("ws_peak: {e}");
            std::process::exit(1);
        }
    }
}
