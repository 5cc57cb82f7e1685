//! Kite's text frames (protocols.md B3, "Kite text messages"):
//! `{"type": "order"|"error"|"message", "data": ..}`, classified and logged; none of
//! them changes the feed.

/// A Kite text frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KiteText {
    Error(String),
    Message(String),
    /// An order postback; mandi paper-trades, so it is only noted.
    Order,
    Other,
}

/// Classify a text frame; anything unparsable is `Other`.
pub fn classify_text(text: &str) -> KiteText {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return KiteText::Other;
    };
    let data = match value.get("data") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    match value.get("type").and_then(|t| t.as_str()) {
        Some("error") => KiteText::Error(data),
        Some("message") => KiteText::Message(data),
        Some("order") => KiteText::Order,
        _ => KiteText::Other,
    }
}

/// One log line per text frame: errors and messages at info, the rest at debug.
pub fn on_text(text: &str) {
    match classify_text(text) {
        KiteText::Error(message) => tracing::info!(broker = "kite", %message, "kite error message"),
        KiteText::Message(message) => tracing::info!(broker = "kite", %message, "kite message"),
        KiteText::Order => tracing::debug!(broker = "kite", "kite order postback ignored"),
        KiteText::Other => tracing::debug!(
            broker = "kite",
            len = text.len(),
            "unrecognised kite text frame"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_frames() {
        let cases = [
            (
                r#"{"type":"error","data":"Invalid mode"}"#,
                KiteText::Error("Invalid mode".into()),
            ),
            (
                r#"{"type":"message","data":"hello"}"#,
                KiteText::Message("hello".into()),
            ),
            (
                r#"{"type":"order","data":{"order_id":"1"}}"#,
                KiteText::Order,
            ),
            (r#"{"type":"other"}"#, KiteText::Other),
            ("not json", KiteText::Other),
        ];
        for (text, want) in cases {
            assert_eq!(classify_text(text), want, "{text}");
        }
    }
}
