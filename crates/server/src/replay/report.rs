//! The replay report: per bot and in total the round trips, gross and net PnL after
//! charges, win rate, max drawdown, exposure time and the decisions with their reasons.
//! Computed from the replay's fills and bot events only (no wall clock, no paths), so the
//! same input gives the same bytes.

use std::collections::BTreeMap;

use mandi_paper::{round_paise, Fill};
use mandi_trading::journal::BotEventRow;
use serde::Serialize;

use super::source::InputSummary;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub broker: String,
    pub inputs: InputSummary,
    pub frames: u64,
    pub updates: u64,
    pub undecodable_frames: u64,
    pub bots: Vec<BotReport>,
    pub total: Figures,
}

/// The money and time figures of a bot or of all of them.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Figures {
    /// Closed round trips (flat → position → flat on one symbol).
    pub trades: u32,
    pub wins: u32,
    pub win_rate_pct: f64,
    pub gross_pnl: f64,
    pub charges: f64,
    pub net_pnl: f64,
    /// Largest fall of cumulative net PnL from a previous high, after each closed trade.
    pub max_drawdown: f64,
    /// Seconds with a position open.
    pub exposure_s: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BotReport {
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// Positions still open at the end of the replay: symbol and signed quantity.
    pub open: BTreeMap<String, i64>,
    pub fills: Vec<FillLine>,
    pub decisions: Vec<Decision>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FillLine {
    pub at: String,
    pub symbol: String,
    pub side: String,
    pub quantity: u64,
    pub price: f64,
    pub charges: f64,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Decision {
    pub at: String,
    pub kind: String,
    pub code: String,
    pub detail: String,
}

/// A closed trade: when it closed and its net PnL.
struct Closed {
    at: i64,
    net: f64,
}

#[derive(Default)]
struct Open {
    quantity: i64,
    cash: f64,
    charges: f64,
    since_s: i64,
}

/// Builds the report; `end_s` closes the exposure of positions still open.
pub fn build(
    broker: &str,
    inputs: InputSummary,
    counts: (u64, u64, u64),
    fills: &[Fill],
    events: &[BotEventRow],
    end_s: i64,
) -> Report {
    let mut by_bot: BTreeMap<String, (Vec<&Fill>, Vec<&BotEventRow>)> = BTreeMap::new();
    for f in fills {
        by_bot.entry(bot_of(&f.tag)).or_default().0.push(f);
    }
    for e in events {
        by_bot.entry(e.bot.clone()).or_default().1.push(e);
    }
    let mut bots = Vec::new();
    let mut all_closed = Vec::new();
    for (name, (fills, events)) in by_bot {
        let (figures, open, closed) = figures(&fills, end_s);
        all_closed.extend(closed);
        bots.push(BotReport {
            name,
            figures,
            open,
            fills: fills.iter().map(|f| fill_line(f)).collect(),
            decisions: events
                .iter()
                .map(|e| Decision {
                    at: e.at.to_rfc3339(),
                    kind: e.kind.clone(),
                    code: e.code.clone(),
                    detail: e.detail.clone(),
                })
                .collect(),
        });
    }
    all_closed.sort_by_key(|c| c.at);
    let mut total = Figures::default();
    for b in &bots {
        total.trades += b.figures.trades;
        total.wins += b.figures.wins;
        total.gross_pnl += b.figures.gross_pnl;
        total.charges += b.figures.charges;
        total.exposure_s += b.figures.exposure_s;
    }
    total.net_pnl = round_paise(total.gross_pnl - total.charges);
    total.gross_pnl = round_paise(total.gross_pnl);
    total.charges = round_paise(total.charges);
    total.win_rate_pct = win_rate(total.wins, total.trades);
    total.max_drawdown = drawdown(&all_closed);
    Report {
        broker: broker.to_string(),
        inputs,
        frames: counts.0,
        updates: counts.1,
        undecodable_frames: counts.2,
        bots,
        total,
    }
}

/// `<bot>#<seq>` names the bot; anything else was placed by hand.
fn bot_of(tag: &str) -> String {
    match tag.split_once('#') {
        Some((bot, _)) if !bot.is_empty() => bot.to_string(),
        _ => "manual".to_string(),
    }
}

fn figures(fills: &[&Fill], end_s: i64) -> (Figures, BTreeMap<String, i64>, Vec<Closed>) {
    let mut open: BTreeMap<String, Open> = BTreeMap::new();
    let mut closed = Vec::new();
    let mut f = Figures::default();
    for fill in fills {
        let at = fill.filled_at.timestamp();
        let o = open.entry(fill.symbol.to_string()).or_default();
        if o.quantity == 0 {
            o.since_s = at;
        }
        let q = fill.signed_quantity();
        o.quantity += q;
        o.cash -= q as f64 * fill.price;
        o.charges += fill.charges.total;
        if o.quantity == 0 {
            let net = o.cash - o.charges;
            f.trades += 1;
            f.wins += u32::from(net > 0.0);
            f.gross_pnl += o.cash;
            f.charges += o.charges;
            f.exposure_s += at - o.since_s;
            closed.push(Closed { at, net });
            *o = Open::default();
        }
    }
    let mut still = BTreeMap::new();
    for (symbol, o) in open {
        if o.quantity != 0 {
            f.exposure_s += (end_s - o.since_s).max(0);
            f.charges += o.charges;
            still.insert(symbol, o.quantity);
        }
    }
    f.net_pnl = round_paise(f.gross_pnl - f.charges);
    f.gross_pnl = round_paise(f.gross_pnl);
    f.charges = round_paise(f.charges);
    f.win_rate_pct = win_rate(f.wins, f.trades);
    f.max_drawdown = drawdown(&closed);
    (f, still, closed)
}

fn win_rate(wins: u32, trades: u32) -> f64 {
    if trades == 0 {
        return 0.0;
    }
    (f64::from(wins) * 10_000.0 / f64::from(trades)).round() / 100.0
}

fn drawdown(closed: &[Closed]) -> f64 {
    let (mut equity, mut peak, mut worst) = (0.0f64, 0.0f64, 0.0f64);
    for c in closed {
        equity += c.net;
        peak = peak.max(equity);
        worst = worst.max(peak - equity);
    }
    round_paise(worst)
}

fn fill_line(f: &Fill) -> FillLine {
    FillLine {
        at: f.filled_at.to_rfc3339(),
        symbol: f.symbol.to_string(),
        side: format!("{:?}", f.side).to_lowercase(),
        quantity: f.quantity,
        price: f.price,
        charges: round_paise(f.charges.total),
        reason: f.reason.clone(),
    }
}

impl Report {
    /// The terminal table: one row per bot and the total, then faults, gaps and each
    /// bot's decisions.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let i = &self.inputs;
        let _ = writeln!(
            s,
            "replay of {} record(s) from {} file(s), {} to {} ({} frames, {} updates)",
            i.records,
            i.files.len(),
            i.first_received.as_deref().unwrap_or("-"),
            i.last_received.as_deref().unwrap_or("-"),
            self.frames,
            self.updates
        );
        let _ = writeln!(
            s,
            "{:<24} {:>6} {:>8} {:>14} {:>12} {:>14} {:>12} {:>10}",
            "bot", "trades", "win %", "gross pnl", "charges", "net pnl", "max dd", "exposure"
        );
        let row = |s: &mut String, name: &str, f: &Figures| {
            let _ = writeln!(
                s,
                "{:<24} {:>6} {:>8.2} {:>14.2} {:>12.2} {:>14.2} {:>12.2} {:>9}s",
                name,
                f.trades,
                f.win_rate_pct,
                f.gross_pnl,
                f.charges,
                f.net_pnl,
                f.max_drawdown,
                f.exposure_s
            );
        };
        for b in &self.bots {
            row(&mut s, &b.name, &b.figures);
        }
        row(&mut s, "total", &self.total);
        for fault in &i.faults {
            let _ = writeln!(s, "fault: {fault}");
        }
        for g in &i.gaps {
            let _ = writeln!(
                s,
                "gap: no data for {} s, {} to {}",
                g.seconds, g.from, g.to
            );
        }
        for b in &self.bots {
            for (symbol, q) in &b.open {
                let _ = writeln!(s, "{}: still open at the end: {symbol} {q}", b.name);
            }
            for d in &b.decisions {
                let _ = writeln!(s, "{} {} {} {}: {}", d.at, b.name, d.kind, d.code, d.detail);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use mandi_paper::{Charges, FillId, Liquidity, OrderId, Side};

    fn fill(tag: &str, symbol: &str, side: Side, qty: u64, price: f64, at_s: i64) -> Fill {
        Fill {
            fill_id: FillId(1),
            order_id: OrderId(1),
            symbol: symbol.into(),
            side,
            lots: 1,
            quantity: qty,
            price,
            liquidity: Liquidity::Taker,
            charges: Charges {
                total: 10.0,
                ..Charges::default()
            },
            tag: tag.into(),
            reason: "test".into(),
            filled_at: DateTime::<Utc>::from_timestamp(at_s, 0).unwrap_or_default(),
            exchange_time: None,
            received_time: DateTime::<Utc>::from_timestamp(at_s, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn figures_per_bot() {
        struct Case {
            name: &'static str,
            fills: Vec<Fill>,
            want: Figures,
            open: usize,
        }
        let cases = [
            Case {
                name: "one winning round trip",
                fills: vec![
                    fill("orb#1", "CE", Side::Buy, 75, 100.0, 0),
                    fill("orb#2", "CE", Side::Sell, 75, 110.0, 60),
                ],
                want: Figures {
                    trades: 1,
                    wins: 1,
                    win_rate_pct: 100.0,
                    gross_pnl: 750.0,
                    charges: 20.0,
                    net_pnl: 730.0,
                    max_drawdown: 0.0,
                    exposure_s: 60,
                },
                open: 0,
            },
            Case {
                name: "a win then a loss: drawdown is the loss",
                fills: vec![
                    fill("orb#1", "CE", Side::Buy, 75, 100.0, 0),
                    fill("orb#2", "CE", Side::Sell, 75, 110.0, 60),
                    fill("orb#3", "PE", Side::Buy, 75, 100.0, 120),
                    fill("orb#4", "PE", Side::Sell, 75, 96.0, 180),
                ],
                want: Figures {
                    trades: 2,
                    wins: 1,
                    win_rate_pct: 50.0,
                    gross_pnl: 450.0,
                    charges: 40.0,
                    net_pnl: 410.0,
                    max_drawdown: 320.0,
                    exposure_s: 120,
                },
                open: 0,
            },
            Case {
                name: "open at the end: exposure to the end, no trade",
                fills: vec![fill("orb#1", "CE", Side::Buy, 75, 100.0, 0)],
                want: Figures {
                    trades: 0,
                    wins: 0,
                    win_rate_pct: 0.0,
                    gross_pnl: 0.0,
                    charges: 10.0,
                    net_pnl: -10.0,
                    max_drawdown: 0.0,
                    exposure_s: 300,
                },
                open: 1,
            },
        ];
        for c in cases {
            let r = build(
                "dhan",
                InputSummary::default(),
                (0, 0, 0),
                &c.fills,
                &[],
                300,
            );
            assert_eq!(r.bots.len(), 1, "{}", c.name);
            assert_eq!(r.bots[0].figures, c.want, "{}", c.name);
            assert_eq!(r.bots[0].open.len(), c.open, "{}", c.name);
            assert_eq!(r.total, c.want, "{}: total of one bot", c.name);
        }
    }

    #[test]
    fn fills_go_to_the_bot_their_tag_names() {
        let fills = [
            fill("a#1", "X", Side::Buy, 1, 1.0, 0),
            fill("b#1", "Y", Side::Buy, 1, 1.0, 0),
            fill("by-hand", "Z", Side::Buy, 1, 1.0, 0),
        ];
        let r = build("kite", InputSummary::default(), (0, 0, 0), &fills, &[], 10);
        let names: Vec<&str> = r.bots.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "manual"]);
    }
}
