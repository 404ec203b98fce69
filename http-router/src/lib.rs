//! http-router (skeleton; filled by its own issue).
