//! Wire codecs for the Dhan v2 and Zerodha Kite v3 market feeds (see `protocols.md`):
//! decoders for every server packet, encoders for the same (the simulator speaks with
//! them), and the JSON control messages. Pure: no IO, no clock, no allocation sized by
//! a number read off the wire. Also the client socket's own protocol (`client`): the
//! commands browsers and bots send, the frames mandi pushes, and their stable error codes.

#![warn(missing_docs)]

// The client protocol's frames are documented in docs/client-protocol.md, field by field.
#[allow(missing_docs)]
pub mod client;
pub mod dhan;
pub mod error;
pub mod hex;
pub mod kite;
pub mod master;
mod wire;

pub use error::DecodeError;
