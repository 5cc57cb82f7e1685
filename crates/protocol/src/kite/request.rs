//! Kite JSON control messages. (stub, to be implemented)

use mandi_domain::Mode;

use crate::DecodeError;

pub const MAX_TOKENS_PER_CONNECTION: usize = 3000;
pub const MAX_CONNECTIONS: usize = 3;

/// A client request: `{"a":"subscribe","v":[..]}`, `unsubscribe`, or
/// `{"a":"mode","v":["full",[..]]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KiteRequest {
    Subscribe { tokens: Vec<u32> },
    Unsubscribe { tokens: Vec<u32> },
    SetMode { mode: Mode, tokens: Vec<u32> },
}

impl KiteRequest {
    pub fn to_json(&self) -> String {
        todo!()
    }

    pub fn parse(text: &str) -> Result<KiteRequest, DecodeError> {
        let _ = text;
        todo!()
    }
}
