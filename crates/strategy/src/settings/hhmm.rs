//! IST wall-clock times in settings as `"HH:MM"` (or `"HH:MM:SS"`) strings, so a TOML file
//! reads `square_off_ist = "15:15"` rather than a zone-less TOML time.

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*t))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "\"{text}\" is not an IST time; write it as \"HH:MM\", e.g. \"15:15\""
        ))
    })
}

/// The same for an optional time; used with `#[serde(default)]` on the container.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        super::deserialize(d).map(Some)
    }
}

fn format(t: NaiveTime) -> String {
    if t.format("%S").to_string() == "00" {
        t.format("%H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
}

fn parse(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minutes_and_seconds_forms() {
        let cases = [
            ("15:15", Some((15, 15, 0))),
            ("09:15:30", Some((9, 15, 30))),
            (" 9:15 ", Some((9, 15, 0))),
            ("24:00", None),
            ("3pm", None),
            ("", None),
        ];
        for (text, want) in cases {
            let want = want.and_then(|(h, m, s)| NaiveTime::from_hms_opt(h, m, s));
            assert_eq!(parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn formats_without_zero_seconds() {
        assert_eq!(
            format(NaiveTime::from_hms_opt(15, 15, 0).unwrap_or_default()),
            "15:15"
        );
        assert_eq!(
            format(NaiveTime::from_hms_opt(9, 0, 5).unwrap_or_default()),
            "09:00:05"
        );
    }
}
