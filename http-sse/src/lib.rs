//! http-sse (skeleton; filled by its own issue).
