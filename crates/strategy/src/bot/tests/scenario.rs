//! One seeded trading day, end to end: a random-walk NIFTY with a scripted drift, ticks
//! every second, 1-minute bars, a stand-in runtime that resolves contracts and fills
//! orders at the touch, and a short feed gap. The bot's full action list is pinned.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::time::round_to_tick;
use mandi_domain::{Exchange, Instrument, OptionType};

use super::*;
use crate::clock::ist_time;
use crate::select_contract;
use crate::test_support::{date, hm, option};

/// The day runs 09:15:00 to 15:20:00 IST.
const SECONDS: i64 = 6 * 3_600 + 5 * 60;
const SEED: u64 = 20_260_203;

/// Deterministic noise in [-1, 1): a 64-bit LCG (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// Points per minute the index drifts, by minute since 09:15: flat through the opening
/// range, a rally, a pullback, a pause, a sell-off, then flat into the close.
fn drift(minute: i64) -> f64 {
    match minute {
        0..15 => 0.0,
        15..75 => 3.0,
        75..135 => -2.0,
        135..225 => 0.0,
        225..300 => -3.0,
        _ => 0.0,
    }
}

/// NIFTY CE and PE, 25300–26300 every 50, expiring today (3 Feb) and 10 Feb.
fn chain() -> Vec<Arc<Instrument>> {
    let mut out = Vec::new();
    for expiry in [date(2026, 2, 3), date(2026, 2, 10)] {
        for k in 0..21 {
            for ot in [OptionType::Call, OptionType::Put] {
                out.push(option(
                    "NIFTY",
                    Exchange::Nse,
                    expiry,
                    Some(25_300.0 + 50.0 * f64::from(k)),
                    ot,
                ));
            }
        }
    }
    out
}

/// A crude premium: 80 at the money, half a point per index point.
fn premium(contract: &Instrument, spot: f64) -> f64 {
    let (strike, ot) = contract
        .derivative
        .as_ref()
        .map_or((spot, OptionType::Call), |d| {
            (
                d.strike.unwrap_or(spot),
                d.option_type.unwrap_or(OptionType::Call),
            )
        });
    let moneyness = match ot {
        OptionType::Call => spot - strike,
        OptionType::Put => strike - spot,
    };
    round_to_tick((80.0 + 0.5 * moneyness).max(0.05), 0.05)
}

/// The runtime's side: carries out actions and feeds the answers back, logging each
/// action as `HH:MM:SS.mmm <json>`.
struct Runtime {
    bot: CePeBot,
    chain: Vec<Arc<Instrument>>,
    held: Option<Arc<Instrument>>,
    log: Vec<String>,
}

impl Runtime {
    fn handle(&mut self, actions: Vec<BotAction>, now: DateTime<Utc>, spot: f64) {
        for action in actions {
            let json = serde_json::to_string(&action).unwrap_or_else(|e| e.to_string());
            self.log
                .push(format!("{} {json}", ist_time(now).format("%H:%M:%S%.3f")));
            let next = match action {
                BotAction::ResolveContract {
                    option_type,
                    underlying_price,
                    ..
                } => {
                    let settings = self.bot.settings();
                    let request = settings.contract_request(option_type, underlying_price, now);
                    match select_contract(&self.chain, &request, &settings.contract) {
                        Ok(contract) => self.bot.on_contract_resolved(contract),
                        Err(e) => self.bot.on_contract_failed(e.to_string()),
                    }
                }
                BotAction::Subscribe { symbol } => {
                    self.held = self.chain.iter().find(|c| c.symbol == symbol).cloned();
                    vec![]
                }
                BotAction::Unsubscribe { .. } => {
                    self.held = None;
                    vec![]
                }
                BotAction::PlaceEntry { lots, .. } => {
                    let price = self.held.as_ref().map_or(0.0, |c| premium(c, spot) + 0.05);
                    self.bot.on_entry_filled(Fill {
                        price,
                        quantity: lots * 65,
                        at: now,
                    })
                }
                BotAction::PlaceExit { lots, .. } => {
                    let price = self.held.as_ref().map_or(0.0, |c| premium(c, spot) - 0.05);
                    self.bot.on_exit_filled(Fill {
                        price,
                        quantity: lots * 65,
                        at: now,
                    })
                }
                BotAction::Refused { .. } => vec![],
            };
            self.handle(next, now, spot);
        }
    }
}

fn run_day() -> Runtime {
    let mut settings = settings();
    settings.trailing_stop_pct = Some(15.0);
    settings.target_pct = 200.0;
    settings.max_trades_per_day = 3;
    settings.contract.skip_expiry_day_after_ist = Some(hm(13, 0));
    let bot = CePeBot::new(settings).unwrap_or_else(|e| panic!("{e}"));
    let mut rt = Runtime {
        bot,
        chain: chain(),
        held: None,
        log: Vec::new(),
    };
    let mut rng = Lcg(SEED);
    let open = ist(9, 15, 0);
    let gap = (ist(10, 30, 0), ist(10, 30, 20));
    let mut spot = 25_720.0;
    let mut bar: Option<Candle> = None;
    for sec in 0..SECONDS {
        let t = plus_ms(open, sec * 1_000);
        let minute = sec / 60;
        spot = round_to_tick(spot + drift(minute) / 60.0 + 1.2 * rng.next(), 0.05);
        let feed_up = !(gap.0..gap.1).contains(&t);
        if feed_up {
            let actions = rt.bot.on_underlying_tick(&tick("NIFTY", spot, t), t);
            rt.handle(actions, t, spot);
        }
        if sec % 60 == 0 {
            if let Some(done) = bar.take() {
                let now = plus_ms(t, 100);
                let actions = rt.bot.on_candle(&done, now);
                rt.handle(actions, now, spot);
            }
        }
        let b = bar.get_or_insert_with(|| bar_at(t, spot, spot, spot, spot));
        (b.high, b.low, b.close) = (b.high.max(spot), b.low.min(spot), spot);
        if let (Some(held), true) = (rt.held.clone(), feed_up) {
            let now = plus_ms(t, 500);
            let actions = rt
                .bot
                .on_option_tick(&tick(&held.symbol, premium(&held, spot), now), now);
            rt.handle(actions, now, spot);
        }
        let now = plus_ms(t, 900);
        let actions = rt.bot.on_timer(now);
        rt.handle(actions, now, spot);
    }
    rt
}

#[test]
fn seeded_day_gives_exactly_these_actions() {
    let rt = run_day();
    let want = [
        // Rally out of the 09:15–09:30 range: ATM CE of today's expiry (before the 13:00 cutoff).
        r#"09:45:00.100 {"action":"resolve_contract","option_type":"CE","underlying_price":25753.7,"reason":"orb_breakout_up"}"#,
        r#"09:45:00.100 {"action":"subscribe","symbol":"NIFTY 03 FEB 25750 CALL"}"#,
        r#"09:45:00.500 {"action":"place_entry","symbol":"NIFTY 03 FEB 25750 CALL","lots":1,"reason":"orb_breakout_up"}"#,
        // The 20-second feed gap: reported once, just after the quote passes 5 s.
        r#"10:30:04.900 {"action":"refused","reason":{"code":"stale_quote","age_ms":5400},"detail":"exit rules paused: NIFTY 03 FEB 25750 CALL quote is 5400 ms old (limit 5000 ms)"}"#,
        // The pullback hits the trailing stop 15% under the peak.
        r#"10:52:46.500 {"action":"place_exit","symbol":"NIFTY 03 FEB 25750 CALL","lots":1,"reason":"trailing_stop"}"#,
        r#"10:52:46.500 {"action":"unsubscribe","symbol":"NIFTY 03 FEB 25750 CALL"}"#,
        // Back inside the range, then above it again: a second CE.
        r#"12:40:00.100 {"action":"resolve_contract","option_type":"CE","underlying_price":25746.85,"reason":"orb_breakout_up"}"#,
        r#"12:40:00.100 {"action":"subscribe","symbol":"NIFTY 03 FEB 25750 CALL"}"#,
        r#"12:40:00.500 {"action":"place_entry","symbol":"NIFTY 03 FEB 25750 CALL","lots":1,"reason":"orb_breakout_up"}"#,
        r#"12:55:50.500 {"action":"place_exit","symbol":"NIFTY 03 FEB 25750 CALL","lots":1,"reason":"trailing_stop"}"#,
        r#"12:55:50.500 {"action":"unsubscribe","symbol":"NIFTY 03 FEB 25750 CALL"}"#,
        // The sell-off breaks the low after 13:00: the PE comes from next week's expiry.
        r#"13:05:00.100 {"action":"resolve_contract","option_type":"PE","underlying_price":25705.25,"reason":"orb_breakout_down"}"#,
        r#"13:05:00.100 {"action":"subscribe","symbol":"NIFTY 10 FEB 25700 PUT"}"#,
        r#"13:05:00.500 {"action":"place_entry","symbol":"NIFTY 10 FEB 25700 PUT","lots":1,"reason":"orb_breakout_down"}"#,
        // Held into the square-off; the third trade ends the day.
        r#"15:15:00.000 {"action":"place_exit","symbol":"NIFTY 10 FEB 25700 PUT","lots":1,"reason":"square_off"}"#,
        r#"15:15:00.000 {"action":"unsubscribe","symbol":"NIFTY 10 FEB 25700 PUT"}"#,
    ];
    assert_eq!(rt.log, want);
    assert_eq!(
        rt.bot.phase(),
        &Phase::DoneForDay {
            reason: RefusalReason::MaxTrades
        }
    );
    assert_eq!(rt.bot.trades_today(), 3);
    assert!(
        (rt.bot.realised_pnl_today() - 8_414.25).abs() < 1e-6,
        "{}",
        rt.bot.realised_pnl_today()
    );
}
