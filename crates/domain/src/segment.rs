//! Exchange segments as Dhan numbers them (JSON string and binary byte), with the
//! Kite segment id that carries the same market.

use serde::{Deserialize, Serialize};

/// A Dhan exchange segment. The discriminant is the byte in the binary feed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Segment {
    #[serde(rename = "IDX_I")]
    IdxI = 0,
    #[serde(rename = "NSE_EQ")]
    NseEq = 1,
    #[serde(rename = "NSE_FNO")]
    NseFno = 2,
    #[serde(rename = "NSE_CURRENCY")]
    NseCurrency = 3,
    #[serde(rename = "BSE_EQ")]
    BseEq = 4,
    #[serde(rename = "MCX_COMM")]
    McxComm = 5,
    #[serde(rename = "BSE_CURRENCY")]
    BseCurrency = 7,
    #[serde(rename = "BSE_FNO")]
    BseFno = 8,
}

impl Segment {
    pub const ALL: [Segment; 8] = [
        Segment::IdxI,
        Segment::NseEq,
        Segment::NseFno,
        Segment::NseCurrency,
        Segment::BseEq,
        Segment::McxComm,
        Segment::BseCurrency,
        Segment::BseFno,
    ];

    /// The byte Dhan puts at offset 3 of every feed packet.
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The string Dhan uses in JSON requests and REST bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::IdxI => "IDX_I",
            Segment::NseEq => "NSE_EQ",
            Segment::NseFno => "NSE_FNO",
            Segment::NseCurrency => "NSE_CURRENCY",
            Segment::BseEq => "BSE_EQ",
            Segment::McxComm => "MCX_COMM",
            Segment::BseCurrency => "BSE_CURRENCY",
            Segment::BseFno => "BSE_FNO",
        }
    }

    pub fn parse(s: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|seg| seg.as_str() == s)
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for seg in Segment::ALL {
            assert_eq!(Segment::from_code(seg.code()), Some(seg), "{seg}");
            assert_eq!(Segment::parse(seg.as_str()), Some(seg), "{seg}");
        }
        assert_eq!(Segment::from_code(6), None, "6 is unused by Dhan");
        assert_eq!(Segment::McxComm.code(), 5);
    }

    #[test]
    fn serde_uses_dhan_strings() {
        let json = serde_json::to_string(&Segment::IdxI).unwrap_or_default();
        assert_eq!(json, "\"IDX_I\"");
    }
}
