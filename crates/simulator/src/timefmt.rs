//! The IST wall-clock formats the brokers' REST bodies use.

use chrono::{DateTime, Utc};
use mandi_domain::time::IST;

/// Dhan quote `last_trade_time`: `DD/MM/YYYY HH:MM:SS`.
pub fn dhan_trade_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&IST)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// Dhan profile `tokenValidity`: `DD/MM/YYYY HH:MM`.
pub fn dhan_validity(t: DateTime<Utc>) -> String {
    t.with_timezone(&IST).format("%d/%m/%Y %H:%M").to_string()
}

/// Dhan profile `dataValidity`: `YYYY-MM-DD HH:MM:SS.0`.
pub fn dhan_data_validity(t: DateTime<Utc>) -> String {
    t.with_timezone(&IST)
        .format("%Y-%m-%d %H:%M:%S.0")
        .to_string()
}

/// Kite quote `timestamp` and `last_trade_time`: `YYYY-MM-DD HH:MM:SS`.
pub fn kite_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&IST)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn formats_are_ist() {
        let t = Utc
            .with_ymd_and_hms(2026, 2, 3, 3, 39, 55)
            .single()
            .unwrap_or_default();
        assert_eq!(dhan_trade_time(t), "03/02/2026 09:09:55");
        assert_eq!(dhan_validity(t), "03/02/2026 09:09");
        assert_eq!(dhan_data_validity(t), "2026-02-03 09:09:55.0");
        assert_eq!(kite_time(t), "2026-02-03 09:09:55");
    }
}
