//! The mandi server: configuration, the HTTP/WebSocket API and dashboard, and the
//! composition that starts simulator, runtime and server together.

pub mod app;
pub mod cluster;
pub mod config;
pub mod http;
pub mod master;
pub mod replay;
pub mod security;
