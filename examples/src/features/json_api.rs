//! JSON and forms: typed request bodies and query strings with clear 400 / 413 /
//! 415 answers, and JSON responses.
//!
//! | route | does |
//! |---|---|
//! | POST /todos | JSON `{"title": "...", "done": false}` → 201 with the stored todo |
//! | POST /todos/form | the same from an HTML form (`application/x-www-form-urlencoded`) |
//! | GET /todos?done=true&limit=N | the todos, filtered by the query string |
//! | GET /todos/{id} | one todo, or 404 as JSON |
//!
//! Bodies are limited to 16 KiB (413 past it).

use std::sync::Mutex;

use http_core::{IntoResponse, Json, Rejection, Request, Response, StatusCode, WithState, with_state};
use http_router::Router;
use serde::{Deserialize, Serialize};

/// The body limit of this API.
pub const BODY_LIMIT: usize = 16 * 1024;

/// A stored todo.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Todo {
    /// Its id, from 1.
    pub id: u64,
    /// What to do.
    pub title: String,
    /// Done yet?
    pub done: bool,
}

/// What a client sends to create a todo.
#[derive(Debug, Deserialize)]
struct NewTodo {
    title: String,
    #[serde(default)]
    done: bool,
}

/// The query of `GET /todos`.
#[derive(Debug, Deserialize)]
struct Filter {
    done: Option<bool>,
    limit: Option<usize>,
}

/// The todo list.
#[derive(Debug, Default)]
pub struct Todos {
    list: Mutex<Vec<Todo>>,
}

impl Todos {
    fn add(&self, new: NewTodo) -> Result<Todo, Rejection> {
        let title = new.title.trim();
        if title.is_empty() {
            return Err(Rejection::new(StatusCode::BAD_REQUEST, "title must not be empty"));
        }
        let mut list = self.list.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let todo = Todo { id: list.len() as u64 + 1, title: title.to_owned(), done: new.done };
        list.push(todo.clone());
        Ok(todo)
    }
}

fn todos(req: &Request) -> &Todos {
    req.state::<Todos>().expect("the JSON routes run under with_state(Todos)")
}

async fn create(mut req: Request) -> Result<(StatusCode, Json<Todo>), Rejection> {
    let new: NewTodo = req.json_limit(BODY_LIMIT).await?;
    Ok((StatusCode::CREATED, Json(todos(&req).add(new)?)))
}

async fn create_from_form(mut req: Request) -> Result<(StatusCode, Json<Todo>), Rejection> {
    let new: NewTodo = req.form_limit(BODY_LIMIT).await?;
    Ok((StatusCode::CREATED, Json(todos(&req).add(new)?)))
}

async fn list(req: Request) -> Result<Json<Vec<Todo>>, Rejection> {
    let filter: Filter = req.query_as()?;
    let all = todos(&req).list.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let picked = all
        .iter()
        .filter(|t| filter.done.is_none_or(|d| t.done == d))
        .take(filter.limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    Ok(Json(picked))
}

async fn get(req: Request) -> Response {
    let id: Option<u64> = req.param("id").and_then(|id| id.parse().ok());
    let all = todos(&req).list.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match id.and_then(|id| all.iter().find(|t| t.id == id)) {
        Some(t) => Json(t).into_response(),
        None => (StatusCode::NOT_FOUND, Json(serde_json::json!({"error": "no such todo"}))).into_response(),
    }
}

/// The JSON API: its routes under an empty todo list.
pub fn json_app() -> WithState<Router, Todos> {
    let router = Router::new()
        .route("POST /todos", create)
        .route("POST /todos/form", create_from_form)
        .route("GET /todos", list)
        .route("GET /todos/{id}", get);
    with_state(Todos::default(), router)
}
