//! The `contract_rolled` frame: a continuous future (`CRUDEOIL`) now streams another
//! contract. Every `/ws` client gets it, subscribed or not, like trading updates: a
//! client that shows the name should know what it stands for.
//!
//! ```json
//! {"type":"contract_rolled","symbol":"CRUDEOIL","from":"CRUDEOIL-18Dec2026-FUT","to":"CRUDEOIL-19Jan2027-FUT","expiry":"2027-01-19","security_id":480001,"kite_token":0,"timestamp":"2026-12-16T08:35:02.000+05:30"}
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use mandi_domain::time::IST;
use mandi_feed::instrument_directory::ContractRoll;
use mandi_protocol::client::{to_bytes, Frame};

/// One roll as clients see it; `from` is `null` when the master no longer names the
/// contract left behind.
pub fn contract_rolled_message(roll: &ContractRoll, now: DateTime<Utc>) -> Frame {
    to_bytes(&serde_json::json!({
        "type": "contract_rolled",
        "symbol": roll.symbol,
        "from": roll.from,
        "to": roll.to,
        "expiry": roll.expiry,
        "security_id": roll.instrument.security_id,
        "kite_token": roll.instrument.kite_token,
        // As every other frame stamps its time: IST, milliseconds.
        "timestamp": now.with_timezone(&IST).to_rfc3339_opts(SecondsFormat::Millis, false),
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{NaiveDate, TimeZone};
    use mandi_domain::{Exchange, Instrument, Segment};

    use super::*;

    #[test]
    fn the_frame_names_the_symbol_both_contracts_and_the_new_ids() {
        let roll = ContractRoll {
            symbol: "CRUDEOIL".into(),
            from: Some("CRUDEOIL-18Dec2026-FUT".into()),
            to: "CRUDEOIL-19Jan2027-FUT".into(),
            expiry: NaiveDate::from_ymd_opt(2027, 1, 19).unwrap_or_default(),
            instrument: Arc::new(Instrument {
                symbol: "CRUDEOIL".into(),
                exchange: Exchange::Mcx,
                segment: Segment::McxComm,
                security_id: 480_001,
                kite_token: 0,
                kite_key: "".into(),
                tick_size: 1.0,
                lot_size: 100,
                derivative: None,
            }),
        };
        let at = Utc
            .with_ymd_and_hms(2026, 12, 16, 3, 5, 2)
            .single()
            .unwrap_or_default();
        let frame = contract_rolled_message(&roll, at);
        let got: serde_json::Value = serde_json::from_str(&frame).unwrap_or_default();
        let want = serde_json::json!({
            "type": "contract_rolled",
            "symbol": "CRUDEOIL",
            "from": "CRUDEOIL-18Dec2026-FUT",
            "to": "CRUDEOIL-19Jan2027-FUT",
            "expiry": "2027-01-19",
            "security_id": 480001,
            "kite_token": 0,
            "timestamp": "2026-12-16T08:35:02.000+05:30",
        });
        assert_eq!(got, want);
        let unknown = ContractRoll { from: None, ..roll };
        let got: serde_json::Value =
            serde_json::from_str(&contract_rolled_message(&unknown, at)).unwrap_or_default();
        assert!(got["from"].is_null(), "{got}");
    }
}
