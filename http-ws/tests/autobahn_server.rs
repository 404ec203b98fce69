//! Autobahn conformance, server side: the suite's fuzzing client (sections 1 to
//! 13, RFC 6455 and RFC 7692) against this crate's echo server
//! (`testing::serve_echo`, permessage-deflate accepted). Prints the summary by
//! section and fails when any case FAILS; NON-STRICT and INFORMATIONAL pass.

mod autobahn;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autobahn_fuzzing_client_against_echo_server() {
    let scale = autobahn::scale_from_env();
    let (cases, left_out) = autobahn::selected_cases(scale);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(http_ws::testing::serve_echo(listener));
    let outcomes = autobahn::run_against_server(addr, cases.clone()).await;
    let report = autobahn::Report::new("http-ws echo server (fuzzing client)", outcomes, left_out, &cases);
    report.publish("autobahn-server.md");
    report.assert_no_failures();
}
