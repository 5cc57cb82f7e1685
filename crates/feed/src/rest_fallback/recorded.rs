//! A REST fallback poll as the recorder keeps it: the answer's status and body with the
//! endpoint and the symbols asked for, so a replay converts it exactly as the poller did.
//!
//! ```json
//! {"endpoint":"ltp","status":200,"symbols":["NIFTY","RELIANCE"],"body":"{\"status\":\"success\",…}"}
//! ```

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use mandi_instruments::InstrumentIndex;
use serde::{Deserialize, Serialize};

use crate::settings::Broker;
use crate::upstream::{self, QuoteBatch, QuoteEndpoint};

#[derive(Serialize, Deserialize)]
struct RecordedPoll {
    endpoint: String,
    status: u16,
    symbols: Vec<Arc<str>>,
    body: String,
}

/// The record payload of one poll answer.
pub fn encode(batch: &QuoteBatch, status: u16, body: &[u8]) -> Bytes {
    let poll = RecordedPoll {
        endpoint: if batch.endpoint.is_ltp() {
            "ltp"
        } else {
            "quote"
        }
        .into(),
        status,
        symbols: batch.instruments.iter().map(|i| i.symbol.clone()).collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    };
    Bytes::from(serde_json::to_vec(&poll).unwrap_or_default())
}

/// The updates a recorded poll gave, converted as the poller converts a live answer.
/// An answer the broker refused converts to nothing, as live.
pub fn decode(
    broker: Broker,
    payload: &[u8],
    index: &InstrumentIndex,
    received_time: DateTime<Utc>,
) -> Result<Vec<mandi_domain::TickUpdate>, String> {
    let poll: RecordedPoll =
        serde_json::from_slice(payload).map_err(|e| format!("recorded poll: {e}"))?;
    let endpoint = match poll.endpoint.as_str() {
        "ltp" => QuoteEndpoint::Ltp,
        _ => QuoteEndpoint::Quote,
    };
    let instruments = poll
        .symbols
        .iter()
        .filter_map(|s| index.by_symbol(s).cloned())
        .collect();
    let batch = QuoteBatch {
        endpoint,
        instruments,
    };
    upstream::convert_quotes(
        broker,
        &batch,
        poll.status,
        poll.body.as_bytes(),
        index,
        received_time,
    )
    .map(|c| c.updates)
    .map_err(|e| e.to_string())
}
