//! Autobahn conformance, client side: the suite's fuzzing server (sections 1 to
//! 13, RFC 6455 and RFC 7692) against this crate's client, which offers
//! permessage-deflate and echoes every message (`testing::echo`). Prints the
//! summary by section and fails when any case FAILS; NON-STRICT and
//! INFORMATIONAL pass.

mod autobahn;

use std::sync::Arc;

fn echo_client() -> autobahn::EchoClient {
    Arc::new(|url: String| {
        Box::pin(async move {
            let client = http_ws::client::Client::new().deflate(Some(http_ws::DeflateConfig::default()));
            let Ok(mut ws) = client.connect(&url).await else { return };
            http_ws::testing::echo(&mut ws).await;
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autobahn_fuzzing_server_against_client() {
    let scale = autobahn::scale_from_env();
    let (cases, left_out) = autobahn::selected_cases(scale);
    let outcomes = autobahn::run_against_client(echo_client(), cases.clone()).await;
    let report = autobahn::Report::new("http-ws client (fuzzing server)", outcomes, left_out, &cases);
    report.publish("autobahn-client.md");
    report.assert_no_failures();
}
