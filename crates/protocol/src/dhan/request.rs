//! Dhan JSON control messages. (stub, to be implemented)

use mandi_domain::{Mode, Segment};

use crate::DecodeError;

/// At most this many instruments in one subscribe/unsubscribe message.
pub const MAX_INSTRUMENTS_PER_MESSAGE: usize = 100;
/// At most this many instruments on one connection.
pub const MAX_INSTRUMENTS_PER_CONNECTION: usize = 5000;
/// At most this many connections per client id.
pub const MAX_CONNECTIONS: usize = 5;

/// A parsed client request, as the simulator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhanRequest {
    pub request_code: u8,
    pub instruments: Vec<(Segment, u32)>,
}

/// Subscribe messages for `instruments` in `mode`, batched by 100.
pub fn subscribe_messages(mode: Mode, instruments: &[(Segment, u32)]) -> Vec<String> {
    let _ = (mode, instruments);
    todo!()
}

/// Unsubscribe messages (subscribe code + 1), batched by 100.
pub fn unsubscribe_messages(mode: Mode, instruments: &[(Segment, u32)]) -> Vec<String> {
    let _ = (mode, instruments);
    todo!()
}

/// `{"RequestCode":12}`.
pub fn disconnect_message() -> String {
    todo!()
}

/// Parse a client text frame (SecurityId as string or number).
pub fn parse_request(text: &str) -> Result<DhanRequest, DecodeError> {
    let _ = text;
    todo!()
}
