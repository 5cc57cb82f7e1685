//! `GET /api/instruments`: the configured universe as the index holds it now, so a
//! continuous future shows the contract in force (its ids, trading symbol and expiry),
//! or that none could be resolved and why.

use actix_web::{web, HttpResponse};
use mandi_domain::Instrument;
use mandi_feed::instrument_directory::{ContinuousState, GetMasterStatus};
use serde_json::{json, Value};

use super::api::unavailable;
use super::AppState;

pub async fn instruments(state: web::Data<AppState>) -> HttpResponse {
    let continuous = match state.runtime.directory.send(GetMasterStatus).await {
        Ok(status) => status.continuous,
        Err(e) => return unavailable("instrument directory", e),
    };
    // The whole master is reachable through /api/instruments/search and
    // /api/option-chain; this is the configured universe (what the dashboard shows).
    let index = state.runtime.index.load();
    let list: Vec<Value> = state
        .runtime
        .settings
        .instruments
        .iter()
        .map(|configured| {
            let now = index
                .by_symbol(&configured.symbol)
                .map_or(configured, |i| i);
            let state = continuous.iter().find(|c| c.symbol == configured.symbol);
            entry(now, state)
        })
        .collect();
    HttpResponse::Ok().json(list)
}

fn entry(i: &Instrument, continuous: Option<&ContinuousState>) -> Value {
    let mut v = json!({
        "symbol": i.symbol,
        "exchange": i.exchange,
        "segment": i.segment,
        "security_id": i.security_id,
        "kite_token": i.kite_token,
        "lot_size": i.lot_size,
        "tick_size": i.tick_size,
    });
    if let Some(c) = continuous {
        v["continuous"] = json!({
            "underlying": c.underlying,
            "roll_days_before_expiry": c.roll_days_before_expiry,
            "status": if c.contract.is_some() { "resolved" } else { "unresolved" },
            // The contract in force: canonical symbol, broker's trading symbol, ids, expiry.
            "contract": c.contract,
            "reason": c.unresolved.as_ref().map(|u| u.to_string()),
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use mandi_domain::{Exchange, Segment};
    use mandi_feed::instrument_directory::ContractInForce;
    use mandi_instruments::Unresolved;

    use super::*;

    #[test]
    fn a_continuous_entry_shows_its_contract_or_why_none() {
        let crude = Instrument {
            symbol: "CRUDEOIL".into(),
            exchange: Exchange::Mcx,
            segment: Segment::McxComm,
            security_id: 480_001,
            kite_token: 0,
            kite_key: "".into(),
            tick_size: 1.0,
            lot_size: 100,
            derivative: None,
        };
        let resolved = ContinuousState {
            symbol: "CRUDEOIL".into(),
            underlying: "CRUDEOIL".into(),
            exchange: Exchange::Mcx,
            roll_days_before_expiry: 2,
            contract: Some(ContractInForce {
                symbol: "CRUDEOIL-19Jan2027-FUT".into(),
                broker_symbol: Some("CRUDEOIL-Jan2027-FUT".into()),
                security_id: 480_001,
                kite_token: 0,
                expiry: NaiveDate::from_ymd_opt(2027, 1, 19).unwrap_or_default(),
            }),
            unresolved: None,
        };
        let v = entry(&crude, Some(&resolved));
        assert_eq!(v["security_id"], 480_001);
        assert_eq!(v["continuous"]["status"], "resolved", "{v}");
        assert_eq!(
            v["continuous"]["contract"]["symbol"],
            "CRUDEOIL-19Jan2027-FUT"
        );
        assert_eq!(v["continuous"]["contract"]["expiry"], "2027-01-19");
        assert!(v["continuous"]["reason"].is_null(), "{v}");

        let unresolved = ContinuousState {
            contract: None,
            unresolved: Some(Unresolved::NoMaster),
            ..resolved
        };
        let v = entry(&crude, Some(&unresolved));
        assert_eq!(v["continuous"]["status"], "unresolved", "{v}");
        assert!(v["continuous"]["contract"].is_null(), "{v}");
        assert_eq!(v["continuous"]["reason"], "no instrument master is loaded");

        assert!(entry(&crude, None).get("continuous").is_none());
    }
}
