//! A client session takes only the broadcaster's wake-up (`OutboxReady`) and its own
//! socket's frames; this module re-exports the former for the session's users.

pub use crate::broadcaster::OutboxReady;
