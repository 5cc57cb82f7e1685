//! Wire codecs for the Dhan v2 and Zerodha Kite v3 market feeds (see `protocols.md`):
//! decoders for every server packet, encoders for the same (the simulator speaks with
//! them), and the JSON control messages. Pure: no IO, no clock, no allocation sized by
//! a number read off the wire.

#![warn(missing_docs)]

pub mod dhan;
pub mod error;
pub mod hex;
pub mod kite;
pub mod master;
mod wire;

pub use error::DecodeError;
