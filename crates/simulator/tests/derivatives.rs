//! The generated derivatives end to end: both masters downloaded over HTTP and parsed,
//! the contracts they list subscribed by Dhan security id and Kite token, quoted over
//! both brokers' REST, and option prices following the index tick by tick.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use awc::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use mandi_domain::{Mode, Segment};
use mandi_protocol::dhan::{decode_packet, subscribe_messages, DhanPacket};
use mandi_protocol::kite::{decode_frame, KiteFrame, KitePacket, KiteRequest};
use mandi_simulator::{DerivativeSettings, SimClock, SimSettings, SimulatorHandle};
use serde_json::{json, Value};

const NIFTY_TOKEN: u32 = 256_265;
/// Annualised: with the flat intraday profile (the day's variance spread over all 1,440
/// minutes) NIFTY moves about 5-8 points a 20 ms step, and the options, priced with the
/// same volatility, still have a delta (a put at 3,500 % would not move).
const FAST_VOLATILITY_ANNUAL: f64 = 10.0;

/// The day the contracts are listed from, and a clock that runs from 10:00 IST on it
/// whatever the wall clock says, so the market is in session (and busy) at any hour.
fn fixed_day() -> SimSettings {
    let ten_ist = DateTime::parse_from_rfc3339("2026-11-23T04:30:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let started = Utc::now();
    SimSettings {
        volatility_annual: [("NIFTY".to_string(), FAST_VOLATILITY_ANNUAL)].into(),
        clock: SimClock(Arc::new(move || ten_ist + (Utc::now() - started))),
        derivatives: DerivativeSettings {
            start_date: NaiveDate::from_ymd_opt(2026, 11, 22),
            ..DerivativeSettings::default()
        },
        ..settings()
    }
}

fn kite_auth() -> String {
    let c = settings().credentials;
    format!("token {}:{}", c.kite_api_key, c.kite_access_token)
}

/// Status, content type and body of a GET.
async fn get(
    sim: &SimulatorHandle,
    path: &str,
    auth: Option<&str>,
) -> (StatusCode, String, Vec<u8>) {
    within("http get", async {
        let mut req = awc::Client::new().get(format!("{}{path}", sim.rest_url()));
        if let Some(a) = auth {
            req = req.insert_header(("Authorization", a));
        }
        let mut resp = req.send().await.expect("request sent");
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.body().limit(64 << 20).await.expect("body");
        (resp.status(), kind, body.to_vec())
    })
    .await
}

/// Rows as `header → value`, as Python's `csv.DictReader` and pandas see them.
fn rows(csv_body: &[u8]) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_body);
    let headers = reader.headers().expect("header row").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row parses");
            headers
                .iter()
                .map(str::to_string)
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn find<'a>(
    rows: &'a [HashMap<String, String>],
    column: &str,
    value: &str,
) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r[column] == value)
        .unwrap_or_else(|| panic!("no row with {column} = {value}"))
}

fn kite_ltp(p: &KitePacket) -> f64 {
    let paise = match p {
        KitePacket::Ltp(x) => x.last_price,
        KitePacket::Index(x) => x.last_price,
        KitePacket::Quote(x) => x.last_price,
    };
    f64::from(paise) / p.price_divisor()
}

#[actix_rt::test]
async fn masters_list_the_contracts_and_the_feeds_serve_them() {
    let sim = start_sim(fixed_day());
    let (status, kind, body) = get(&sim, "/api-data/api-scrip-master.csv", None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the Dhan master needs no credentials"
    );
    assert!(kind.contains("csv"), "{kind}");
    let dhan = rows(&body);
    let call = find(&dhan, "SEM_TRADING_SYMBOL", "NIFTY-Dec2026-25750-CE");
    let call_id: u32 = call["SEM_SMST_SECURITY_ID"].parse().expect("numeric id");
    assert_eq!(call["SEM_EXPIRY_DATE"], "2026-12-29 14:30:00");

    let (status, _, _) = get(&sim, "/instruments", None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Kite's master is behind the session"
    );
    let (status, kind, body) = get(&sim, "/instruments", Some(&kite_auth())).await;
    assert_eq!((status, kind.contains("csv")), (StatusCode::OK, true));
    let kite = rows(&body);
    assert_eq!(
        kite.len(),
        dhan.len(),
        "both masters list the whole universe"
    );
    let kite_call = find(&kite, "tradingsymbol", "NIFTY26DEC25750CE");
    let call_token: u32 = kite_call["instrument_token"]
        .parse()
        .expect("numeric token");
    assert_eq!(
        call_token >> 8,
        call_id,
        "Dhan id and Kite exchange token agree"
    );
    let (_, _, nfo) = get(&sim, "/instruments/NFO", Some(&kite_auth())).await;
    assert!(rows(&nfo).iter().all(|r| r["exchange"] == "NFO"));

    // Dhan feed by security id.
    let mut dhan_ws = connect_ok(&dhan_ok_url(&sim)).await;
    for msg in subscribe_messages(Mode::Full, &[(Segment::NseFno, call_id)]) {
        send_text(&mut dhan_ws, msg).await;
    }
    let mut codes = Vec::new();
    while codes.len() < 3 {
        let (packet, _) = decode_packet(&next_binary(&mut dhan_ws).await).expect("decodes");
        assert_eq!(packet.instrument().security_id, call_id);
        if let DhanPacket::Full(f) = &packet {
            assert!(f.ltp >= 0.05 && f.oi > 0, "{f:?}");
        }
        codes.push(packet.code());
    }
    assert_eq!(codes, vec![6, 8, 8], "prev close, the snapshot, then ticks");

    // Kite feed by token.
    let mut kite_ws = connect_ok(&kite_ok_url(&sim)).await;
    let subscribe = KiteRequest::Subscribe {
        tokens: vec![call_token],
    };
    send_text(&mut kite_ws, subscribe.to_json()).await;
    let got = loop {
        match decode_frame(&next_binary(&mut kite_ws).await).expect("frame decodes") {
            KiteFrame::Heartbeat => continue,
            KiteFrame::Packets(p) => break p,
        }
    };
    assert!(
        matches!(got.as_slice(), [KitePacket::Quote(q)] if q.token == call_token),
        "{got:?}"
    );

    let c = wait_counters(&sim, "subscriptions listed", |c| {
        c.kite.connections.len() == 1 && c.dhan.connections.len() == 1
    })
    .await;
    assert_eq!(
        (
            c.master_downloads_total,
            c.dhan.master_downloads_total,
            c.kite.master_downloads_total
        ),
        (3, 1, 2),
        "the refused download is not counted"
    );
    assert_eq!(
        (c.dhan.unknown_instruments, c.kite.unknown_instruments),
        (0, 0)
    );
    sim.stop().await;
}

#[actix_rt::test]
async fn rest_quotes_by_security_id_and_tradingsymbol() {
    let sim = start_sim(fixed_day());
    let (_, _, body) = get(&sim, "/api-data/api-scrip-master.csv", None).await;
    let dhan = rows(&body);
    let id = |symbol: &str| -> u64 {
        find(&dhan, "SEM_TRADING_SYMBOL", symbol)["SEM_SMST_SECURITY_ID"]
            .parse()
            .expect("id")
    };
    let (nifty_call, sensex_put) = (id("NIFTY-Dec2026-25750-CE"), id("SENSEX-Dec2026-83900-PE"));
    let c = settings().credentials;
    let (status, v) = within("dhan ltp", async {
        let mut resp = awc::Client::new()
            .post(format!("{}/v2/marketfeed/quote", sim.rest_url()))
            .insert_header(("access-token", c.dhan_access_token.as_str()))
            .insert_header(("client-id", c.dhan_client_id.as_str()))
            .send_json(&json!({ "NSE_FNO": [nifty_call], "BSE_FNO": [sensex_put] }))
            .await
            .expect("sent");
        (resp.status(), resp.json::<Value>().await.expect("json"))
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for (segment, id) in [("NSE_FNO", nifty_call), ("BSE_FNO", sensex_put)] {
        let entry = &v["data"][segment][id.to_string()];
        assert!(
            entry["last_price"].as_f64().is_some_and(|p| p >= 0.05),
            "{segment}: {entry}"
        );
        assert!(
            entry["oi"].as_u64().is_some_and(|oi| oi > 0),
            "{segment}: {entry}"
        );
    }

    let path =
        "/quote?i=NFO%3ANIFTY26DEC25750CE&i=BFO%3ASENSEX26DEC83900PE&i=MCX%3ACRUDEOIL27JANFUT";
    let (status, _, body) = get(&sim, path, Some(&kite_auth())).await;
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(status, StatusCode::OK, "{v}");
    for key in [
        "NFO:NIFTY26DEC25750CE",
        "BFO:SENSEX26DEC83900PE",
        "MCX:CRUDEOIL27JANFUT",
    ] {
        let entry = &v["data"][key];
        assert!(
            entry["last_price"].as_f64().is_some_and(|p| p > 0.0),
            "{key}: {entry}"
        );
        assert_eq!(
            entry["depth"]["sell"].as_array().map(Vec::len),
            Some(5),
            "{key}"
        );
    }
    let crude_far = v["data"]["MCX:CRUDEOIL27JANFUT"]["last_price"]
        .as_f64()
        .unwrap_or_default();
    assert!(
        crude_far > 5_545.0 * 0.9 && crude_far < 5_545.0 * 1.1,
        "{crude_far}"
    );
    sim.stop().await;
}

/// Across frames that carry both, the call moves the way the index moved (or not at all):
/// one frame is one market step, so both prices are from the same instant.
#[actix_rt::test]
async fn option_ticks_follow_the_index_on_the_kite_feed() {
    let sim = start_sim(fixed_day());
    let (_, _, body) = get(&sim, "/instruments/NFO", Some(&kite_auth())).await;
    let nfo = rows(&body);
    let token = |symbol: &str| -> u32 {
        find(&nfo, "tradingsymbol", symbol)["instrument_token"]
            .parse()
            .expect("token")
    };
    let (call, put) = (token("NIFTY26DEC25750CE"), token("NIFTY26DEC25750PE"));
    let mut ws = connect_ok(&kite_ok_url(&sim)).await;
    let tokens = vec![NIFTY_TOKEN, call, put];
    send_text(
        &mut ws,
        KiteRequest::Subscribe {
            tokens: tokens.clone(),
        }
        .to_json(),
    )
    .await;
    send_text(
        &mut ws,
        KiteRequest::SetMode {
            mode: Mode::Ltp,
            tokens,
        }
        .to_json(),
    )
    .await;
    let mut steps: Vec<HashMap<u32, f64>> = Vec::new();
    while steps.len() < 20 {
        let KiteFrame::Packets(packets) =
            decode_frame(&next_binary(&mut ws).await).expect("decodes")
        else {
            continue;
        };
        let prices: HashMap<u32, f64> = packets.iter().map(|p| (p.token(), kite_ltp(p))).collect();
        if prices.len() == 3 {
            steps.push(prices);
        }
    }
    let mut compared = 0;
    for pair in steps.windows(2) {
        let delta = |t: u32| pair[1][&t] - pair[0][&t];
        let (index, c, p) = (delta(NIFTY_TOKEN), delta(call), delta(put));
        // A point of index is ten ticks: enough for the call (delta near 0.9) to move and
        // for a rounding of the put (delta near -0.07) not to flip its sign.
        if index.abs() < 1.0 {
            continue;
        }
        assert!(index * c >= 0.0, "index {index:+} but call {c:+}");
        assert!(index * p <= 0.0, "index {index:+} but put {p:+}");
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} comparable steps");
    sim.stop().await;
}
