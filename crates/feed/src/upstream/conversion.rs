//! What one broker packet and one binary frame come to, whatever the broker: the
//! `TickUpdate` or why there is none, and the price check every broker shares (finite,
//! non-negative, then onto the instrument's tick grid).

use mandi_domain::time::round_to_tick;
use mandi_domain::TickUpdate;

use crate::upstream::Failure;

/// Why a packet produced no update; the actor counts each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// The index does not know the instrument.
    UnknownInstrument,
    /// A price was non-finite or negative: the packet is dropped, never clamped.
    BadPrice,
}

/// One packet's outcome: `Ok(None)` for packets without price data (market status;
/// an in-band disconnect is reported in [`FrameEnd`] instead).
pub type Conversion = Result<Option<TickUpdate>, Skipped>;

/// A frame the codec could not read, described for one throttled warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError {
    /// The codec's stable error kind (`DecodeError::kind`).
    pub kind: &'static str,
    pub message: String,
}

/// How a binary frame ended, once its packets were handed over one by one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameEnd {
    /// The broker closed the session in-band (Dhan's disconnect packet): the actor fails
    /// with this after publishing the frame's ticks.
    pub disconnect: Option<Failure>,
    /// The frame, or what followed its last good packet, could not be read. Counted and
    /// logged, never fatal: one bad frame says nothing about the next.
    pub undecodable: Option<FrameError>,
}

/// Check a wire price and put it on the instrument's tick grid.
pub fn checked_price(raw: f64, tick: f64) -> Result<f64, Skipped> {
    if !raw.is_finite() || raw < 0.0 {
        return Err(Skipped::BadPrice);
    }
    Ok(round_to_tick(raw, tick))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_checks() {
        let cases = [
            ("on grid", 100.05, Some(100.05)),
            ("f32 residue", 1_642.349_976, Some(1642.35)),
            ("zero is a price", 0.0, Some(0.0)),
            ("negative", -0.05, None),
            ("nan", f64::NAN, None),
            ("infinite", f64::INFINITY, None),
        ];
        for (name, raw, want) in cases {
            assert_eq!(checked_price(raw, 0.05).ok(), want, "{name}");
        }
    }
}
