//! `json_api`: typed JSON and form bodies, query strings, JSON responses, 400/413/415
//! (see `examples::features::json_api`).
//!
//! ```text
//! cargo run --release --bin json_api -- --port 8080
//! curl -H 'content-type: application/json' -d '{"title":"write docs"}' localhost:8080/todos
//! curl -d 'title=from+a+form&done=true' localhost:8080/todos/form
//! curl 'localhost:8080/todos?done=true'
//! curl -H 'content-type: application/json' -d '{oops' localhost:8080/todos   # 400
//! ```

fn main() -> std::io::Result<()> {
    http_server::cli::serve_main(
        "A small JSON API: typed bodies, forms and query strings",
        examples::features::json_api::json_app(),
    )
}
