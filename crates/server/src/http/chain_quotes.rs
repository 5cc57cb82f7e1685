//! The live half of `GET /api/option-chain?…&quotes=true`: each leg's last price, book,
//! volume and OI from the price store, and its implied volatility and greeks at that
//! price (Black-Scholes, `mandi_domain::options`). A leg with no tick yet, or whose
//! price has no implied volatility, says so with `null` and a reason, never a made-up
//! number. Pure: the ticks, the pricing settings and `now` come in as arguments.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::options::{
    greeks, implied_volatility, years_to_expiry, OptionMarket, OptionPricing,
};
use mandi_domain::{Exchange, OptionType, Tick};
use serde_json::{json, Value};

use super::quotes::side;

/// What one chain answer shares: where the underlying is, when, and on what terms.
pub struct ChainContext<'a> {
    pub exchange: Exchange,
    pub expiry: NaiveDate,
    pub underlying_price: f64,
    pub now: DateTime<Utc>,
    pub pricing: &'a OptionPricing,
    pub ticks: &'a HashMap<Arc<str>, Tick>,
}

/// The live fields of one leg (`call` or `put` of a row).
pub fn leg_quote(symbol: &str, kind: OptionType, strike: f64, cx: &ChainContext) -> Value {
    let Some(t) = cx.ticks.get(symbol).filter(|t| t.ltp > 0.0) else {
        // Not streamed yet: subscribe it on /ws (the dashboard's chain does) first.
        return json!({"ltp": null, "iv": null, "iv_error": "no price yet"});
    };
    let market = OptionMarket {
        spot: cx.underlying_price,
        strike,
        years: years_to_expiry(cx.exchange, cx.expiry, cx.now),
        rate: cx.pricing.risk_free_rate_annual,
        dividend_yield: cx.pricing.dividend_yield_annual,
    };
    let mut v = json!({
        "ltp": t.ltp,
        "change": (t.prev_close > 0.0).then_some(t.ltp - t.prev_close),
        "bid": side(t.bid, t.bid_qty).map(|(p, _)| p),
        "ask": side(t.ask, t.ask_qty).map(|(p, _)| p),
        "volume": t.volume,
        "oi": t.oi,
        // The day's change in open interest, where the broker sent yesterday's (Dhan's
        // previous-close packet does; Kite's feed does not).
        "prev_oi": (t.prev_oi > 0).then_some(t.prev_oi),
        "oi_change": (t.prev_oi > 0).then(|| t.oi as i64 - t.prev_oi as i64),
        "last_update": t.received_time,
    });
    match implied_volatility(kind, &market, t.ltp) {
        Ok(iv) => {
            let g = greeks(kind, &market, iv);
            v["iv"] = json!(iv);
            v["delta"] = json!(g.delta);
            v["gamma"] = json!(g.gamma);
            v["theta"] = json!(g.theta);
            v["vega"] = json!(g.vega);
        }
        Err(e) => {
            v["iv"] = Value::Null;
            v["iv_error"] = json!(e.to_string());
        }
    }
    v
}

/// Put-call ratio by open interest over the legs shown; `None` without call OI.
pub fn put_call_ratio(rows: &[Value]) -> Option<f64> {
    let oi = |row: &Value, leg: &str| row[leg]["quote"]["oi"].as_u64().unwrap_or(0);
    let calls: u64 = rows.iter().map(|r| oi(r, "call")).sum();
    let puts: u64 = rows.iter().map(|r| oi(r, "put")).sum();
    (calls > 0).then(|| puts as f64 / calls as f64)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mandi_domain::options::price;
    use mandi_domain::{Mode, TickSource};

    use super::*;

    fn tick(symbol: &str, ltp: f64, oi: u64, now: DateTime<Utc>) -> Tick {
        Tick {
            ltp,
            oi,
            prev_close: 100.0,
            mode: Mode::Full,
            source: TickSource::Socket,
            ..Tick::empty(symbol.into(), now)
        }
    }

    #[test]
    fn a_priced_leg_carries_the_volatility_that_prices_it_back() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 5, 0, 0).unwrap();
        let expiry = NaiveDate::from_ymd_opt(2026, 12, 8).expect("a date");
        let pricing = OptionPricing::default();
        let market = OptionMarket {
            spot: 25_800.0,
            strike: 25_800.0,
            years: years_to_expiry(Exchange::Nse, expiry, now),
            rate: pricing.risk_free_rate_annual,
            dividend_yield: 0.0,
        };
        let premium = (price(OptionType::Call, &market, 0.13) * 20.0).round() / 20.0;
        let ticks = HashMap::from([("C".into(), tick("C", premium, 1_000, now))]);
        let cx = ChainContext {
            exchange: Exchange::Nse,
            expiry,
            underlying_price: 25_800.0,
            now,
            pricing: &pricing,
            ticks: &ticks,
        };
        let q = leg_quote("C", OptionType::Call, 25_800.0, &cx);
        let iv = q["iv"].as_f64().expect("an implied volatility");
        assert!(
            (price(OptionType::Call, &market, iv) - premium).abs() < 0.01,
            "{q}"
        );
        assert!(
            (0.4..0.6).contains(&q["delta"].as_f64().expect("delta")),
            "ATM delta: {q}"
        );
        assert!(
            q["theta"].as_f64().expect("theta") < 0.0,
            "time decays a long option: {q}"
        );
        assert_eq!(q["bid"], Value::Null, "no book was sent");
        assert_eq!(q["oi_change"], Value::Null, "no previous OI was sent");

        let mut known = ticks.clone();
        if let Some(t) = known.get_mut("C") {
            t.prev_oi = 1_300;
        }
        let with_prev = leg_quote(
            "C",
            OptionType::Call,
            25_800.0,
            &ChainContext {
                ticks: &known,
                ..cx
            },
        );
        assert_eq!(with_prev["oi_change"], -300, "{with_prev}");
        assert_eq!(with_prev["prev_oi"], 1_300, "{with_prev}");

        let missing = leg_quote("P", OptionType::Put, 25_800.0, &cx);
        assert_eq!(missing["ltp"], Value::Null);
        assert_eq!(missing["iv_error"], "no price yet");
    }

    #[test]
    fn a_price_under_intrinsic_has_no_volatility() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 5, 0, 0).unwrap();
        let pricing = OptionPricing::default();
        let ticks = HashMap::from([("C".into(), tick("C", 50.0, 0, now))]);
        let cx = ChainContext {
            exchange: Exchange::Nse,
            expiry: NaiveDate::from_ymd_opt(2026, 12, 8).expect("a date"),
            underlying_price: 25_800.0,
            now,
            pricing: &pricing,
            ticks: &ticks,
        };
        let q = leg_quote("C", OptionType::Call, 25_500.0, &cx);
        assert_eq!(q["iv"], Value::Null, "{q}");
        assert!(
            q["iv_error"].as_str().expect("a reason").contains("floor"),
            "{q}"
        );
    }

    #[test]
    fn put_call_ratio_is_put_oi_over_call_oi() {
        let row =
            |c: u64, p: u64| json!({"call": {"quote": {"oi": c}}, "put": {"quote": {"oi": p}}});
        assert_eq!(put_call_ratio(&[row(100, 50), row(100, 250)]), Some(1.5));
        assert_eq!(put_call_ratio(&[row(0, 50)]), None, "no call OI: no ratio");
    }
}
