//! Subscription depth: how much of an instrument's book a subscriber wants.

use serde::{Deserialize, Serialize};

/// Ordered so that `max` of two modes is the one that satisfies both
/// (a `full` subscription also serves an `ltp` subscriber).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Ltp,
    Quote,
    Full,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Ltp, Mode::Quote, Mode::Full];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Ltp => "ltp",
            Mode::Quote => "quote",
            Mode::Full => "full",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "ltp" => Some(Mode::Ltp),
            "quote" => Some(Mode::Quote),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_mode_serves_lower() {
        assert_eq!(Mode::Ltp.max(Mode::Full), Mode::Full);
        assert_eq!(Mode::Quote.max(Mode::Ltp), Mode::Quote);
    }

    #[test]
    fn parse_round_trips() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(Mode::parse("depth"), None);
    }
}
