//! A believable simulator: stopped and started again, it quotes where the last run was
//! (same open and previous close, the last price within a second's move) instead of
//! rewinding to the configured start price. The realised volatility over a simulated day
//! is checked on the price model itself (`mandi-simulator`, `market::model` tests).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mandi_simulator::{SimClock, SimSettings, SimulatorHandle};
use serde_json::Value;

/// 2026-11-24 10:30 IST, mid-session.
const MID_SESSION: &str = "2026-11-24T05:00:00Z";
const KITE_NIFTY: &str = "NSE:NIFTY 50";

/// A clock that runs with the wall clock from `from`: like a real restart, time goes on
/// while the simulator is down.
fn clock_from(from: DateTime<Utc>) -> SimClock {
    let started = Utc::now();
    SimClock(Arc::new(move || from + (Utc::now() - started)))
}

fn start_sim(clock: SimClock) -> SimulatorHandle {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let settings = SimSettings {
        clock,
        ..SimSettings::default()
    };
    mandi_simulator::start(settings, listener).expect("simulator starts")
}

/// The Kite full quote of NIFTY.
async fn nifty_quote(sim: &SimulatorHandle) -> Value {
    let c = SimSettings::default().credentials;
    let url = format!(
        "{}/quote?i={}",
        sim.rest_url(),
        KITE_NIFTY.replace(' ', "%20")
    );
    let fetch = async {
        let mut resp = awc::Client::new()
            .get(url)
            .insert_header((
                "Authorization",
                format!("token {}:{}", c.kite_api_key, c.kite_access_token),
            ))
            .send()
            .await
            .expect("quote request");
        resp.json::<Value>().await.expect("quote json")
    };
    let body = actix_rt::time::timeout(Duration::from_secs(5), fetch)
        .await
        .expect("quote within 5 s");
    body["data"][KITE_NIFTY].clone()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[actix_rt::test]
async fn a_restart_carries_on_instead_of_rewinding() {
    let from: DateTime<Utc> = MID_SESSION.parse().expect("a time");
    let clock = clock_from(from);
    let start_price = SimSettings::default_universe()[0].start_price;

    let first = start_sim(clock.clone());
    let before = nifty_quote(&first).await;
    first.stop().await;
    let second = start_sim(clock);
    let after = nifty_quote(&second).await;
    second.stop().await;

    let (was, is) = (num(&before["last_price"]), num(&after["last_price"]));
    // The path at this time is well away from the start price, so a rewind would show.
    assert!(
        (was / start_price - 1.0).abs() > 0.001,
        "NIFTY {was} is still at its start price {start_price}: pick another time"
    );
    // 13 % a year is about 0.008 % a second; 0.1 % is over ten of those.
    assert!(
        (is / was - 1.0).abs() < 0.001,
        "restarted at {is}, the last run quoted {was}"
    );
    for field in ["open", "close"] {
        assert_eq!(
            before["ohlc"][field], after["ohlc"][field],
            "ohlc.{field} across the restart"
        );
    }
}
