//! Quote pins for tests and drills (`/admin/quotes`): what a pin is, how a request body
//! becomes validated pins keyed by universe index, and the defaults a pin is completed
//! with. The market clock applies the pins (`market::pinned`); [`admin`] serves them
//! over HTTP.

pub mod admin;

use std::collections::BTreeMap;

use mandi_domain::time::round_to_tick;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::market::{tick_of, Universe};

/// One instrument's scripted quote. As a request, `bid`/`ask` may be omitted (one tick
/// either side of `ltp`) and so may the quantities (the model's). As an answer, `bid`
/// and `ask` are always filled for instruments with a book and absent for indices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotePin {
    pub ltp: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_qty: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_qty: Option<u32>,
}

impl QuotePin {
    /// A pin of the last price alone; the book defaults around it.
    pub fn at(ltp: f64) -> QuotePin {
        QuotePin {
            ltp,
            ..QuotePin::default()
        }
    }
}

/// Validated pins by universe index, as the market clock holds them.
pub type PinTable = BTreeMap<usize, QuotePin>;

/// A rejected pin: the offending field (`SYMBOL.ltp`, or the symbol itself, or empty for
/// the body as a whole) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for PinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for PinError {}

fn err(field: impl Into<String>, message: impl Into<String>) -> PinError {
    PinError {
        field: field.into(),
        message: message.into(),
    }
}

/// Parse a `POST /admin/quotes` body into validated pins. All or nothing: the first bad
/// entry rejects the whole body, so a typo never leaves half a scenario pinned.
pub fn parse(body: &[u8], universe: &Universe) -> Result<PinTable, PinError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| err("", format!("invalid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(err("", "body must be a JSON object of symbol → pin"));
    };
    let mut out = PinTable::new();
    for (symbol, v) in map {
        let idx = lookup(&symbol, universe)?;
        let pin = parse_one(&symbol, v)?;
        out.insert(idx, resolve(&symbol, idx, pin, universe)?);
    }
    Ok(out)
}

/// Validate pins given as values (the `SimulatorHandle` path).
pub fn resolve_all<S: AsRef<str>>(
    pins: impl IntoIterator<Item = (S, QuotePin)>,
    universe: &Universe,
) -> Result<PinTable, PinError> {
    let mut out = PinTable::new();
    for (symbol, pin) in pins {
        let symbol = symbol.as_ref();
        let idx = lookup(symbol, universe)?;
        out.insert(idx, resolve(symbol, idx, pin, universe)?);
    }
    Ok(out)
}

/// The universe index of `symbol`, or the 400 naming it.
pub fn lookup(symbol: &str, universe: &Universe) -> Result<usize, PinError> {
    universe
        .by_symbol(symbol)
        .ok_or_else(|| err(symbol, format!("unknown symbol `{symbol}`")))
}

/// Pins keyed by symbol again, for answers.
pub fn named(table: &PinTable, universe: &Universe) -> BTreeMap<String, QuotePin> {
    table
        .iter()
        .filter_map(|(&idx, pin)| Some((universe.get(idx)?.symbol.to_string(), *pin)))
        .collect()
}

/// The body of one pin as sent: every field optional, so each can be checked alone.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    ltp: Option<f64>,
    bid: Option<f64>,
    ask: Option<f64>,
    bid_qty: Option<u32>,
    ask_qty: Option<u32>,
}

/// Each field is deserialised on its own first, so a type error names its field
/// (serde's whole-struct errors only give a column).
fn parse_one(symbol: &str, v: Value) -> Result<QuotePin, PinError> {
    let Value::Object(fields) = v else {
        return Err(err(symbol, "a pin must be a JSON object with `ltp`"));
    };
    for (k, fv) in &fields {
        let one = Value::Object([(k.clone(), fv.clone())].into_iter().collect());
        serde_json::from_value::<PinBody>(one)
            .map_err(|e| err(format!("{symbol}.{k}"), e.to_string()))?;
    }
    let body: PinBody =
        serde_json::from_value(Value::Object(fields)).map_err(|e| err(symbol, e.to_string()))?;
    let Some(ltp) = body.ltp else {
        return Err(err(format!("{symbol}.ltp"), "missing field `ltp`"));
    };
    Ok(QuotePin {
        ltp,
        bid: body.bid,
        ask: body.ask,
        bid_qty: body.bid_qty,
        ask_qty: body.ask_qty,
    })
}

/// Check `pin` against the instrument's tick grid and book, and complete it: bid and
/// ask default to one tick either side of the last price (the bid never below one tick).
fn resolve(
    symbol: &str,
    idx: usize,
    pin: QuotePin,
    universe: &Universe,
) -> Result<QuotePin, PinError> {
    let Some(i) = universe.get(idx) else {
        return Err(err(symbol, format!("unknown symbol `{symbol}`")));
    };
    let tick = tick_of(i);
    let field = |name: &str| format!("{symbol}.{name}");
    let ltp = price(&field("ltp"), pin.ltp, tick)?;
    if i.is_index() {
        // Indices have no book on either broker's feed, so there is nothing to pin.
        let book = [
            ("bid", pin.bid.is_some()),
            ("ask", pin.ask.is_some()),
            ("bid_qty", pin.bid_qty.is_some()),
            ("ask_qty", pin.ask_qty.is_some()),
        ];
        if let Some((name, _)) = book.iter().find(|(_, set)| *set) {
            return Err(err(
                field(name),
                format!("`{symbol}` is an index: it has no book"),
            ));
        }
        return Ok(QuotePin::at(ltp));
    }
    let bid = match pin.bid {
        Some(b) => price(&field("bid"), b, tick)?,
        None => round_to_tick((ltp - tick).max(tick), tick),
    };
    let ask = match pin.ask {
        Some(a) => price(&field("ask"), a, tick)?,
        None => round_to_tick(ltp + tick, tick),
    };
    if bid > ask {
        return Err(err(field("bid"), format!("bid {bid} is above ask {ask}")));
    }
    for (name, qty) in [("bid_qty", pin.bid_qty), ("ask_qty", pin.ask_qty)] {
        if qty == Some(0) {
            return Err(err(field(name), "quantity must be positive"));
        }
    }
    Ok(QuotePin {
        ltp,
        bid: Some(bid),
        ask: Some(ask),
        bid_qty: pin.bid_qty,
        ask_qty: pin.ask_qty,
    })
}

/// A positive, finite price on the tick grid, returned free of binary residue.
fn price(field: &str, v: f64, tick: f64) -> Result<f64, PinError> {
    if !v.is_finite() || v <= 0.0 {
        return Err(err(field, format!("{v} is not a positive price")));
    }
    let steps = v / tick;
    if (steps - steps.round()).abs() > 1e-6 {
        return Err(err(field, format!("{v} is not on the tick grid ({tick})")));
    }
    Ok(round_to_tick(v, tick))
}

#[cfg(test)]
mod tests;
