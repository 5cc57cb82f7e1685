//! The outcome of turning one broker packet into a `TickUpdate`, and the price check
//! both brokers share: finite, non-negative, then onto the instrument's tick grid.

use mandi_domain::time::round_to_tick;
use mandi_domain::TickUpdate;

/// Why a packet produced no update; the actor counts each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// The index does not know the instrument.
    UnknownInstrument,
    /// A price was non-finite or negative: the packet is dropped, never clamped.
    BadPrice,
}

/// One packet's outcome: `Ok(None)` for packets without price data (market status;
/// the Dhan disconnect packet is the caller's business).
pub type Conversion = Result<Option<TickUpdate>, Skipped>;

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
