//! Lower-case hex text for packets: fixture files, oracle output and decode-error logs.

use crate::DecodeError;

/// `[0x0a, 0xff]` → `"0aff"`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Parse hex digits, ignoring ASCII whitespace (so fixtures can be laid out by field).
/// An odd number of digits or a non-hex character is `BadJson` with the reason.
pub fn from_hex(text: &str) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for c in text.chars().filter(|c| !c.is_ascii_whitespace()) {
        let nibble = c.to_digit(16).ok_or_else(|| DecodeError::BadJson {
            reason: format!("not a hex digit: {c:?}"),
        })?;
        // `to_digit(16)` is below 16, so the narrowing is lossless.
        let nibble = nibble as u8;
        match high.take() {
            None => high = Some(nibble),
            Some(h) => out.push(h << 4 | nibble),
        }
    }
    match high {
        None => Ok(out),
        Some(_) => Err(DecodeError::BadJson {
            reason: "odd number of hex digits".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_whitespace() {
        let bytes = [0x00, 0x0a, 0xff, 0x3a];
        assert_eq!(to_hex(&bytes), "000aff3a");
        assert_eq!(from_hex("00 0a\nFF 3a"), Ok(bytes.to_vec()));
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
    }
}
