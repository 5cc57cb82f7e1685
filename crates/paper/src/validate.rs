//! Submission checks: lots, prices on the tick grid, stop sanity, and a quote that
//! belongs to the instrument. Staleness is not checked here (see `quote`).

use mandi_domain::{Instrument, Tick};

use crate::matching::is_triggered;
use crate::price::{is_on_tick, to_ticks};
use crate::{OrderKind, OrderRequest, PriceField, RejectReason, Side};

/// Check a request; on success, the quote it may be matched against. The checks run in
/// a fixed order so a request with several faults always gets the same reason.
/// `market_open`: the instrument's exchange is in its session (the caller's calendar).
pub(crate) fn validate<'t>(
    request: &OrderRequest,
    instrument: &Instrument,
    quote: Option<&'t Tick>,
    market_open: bool,
) -> Result<&'t Tick, RejectReason> {
    let tick_size = instrument.tick_size;
    if !(tick_size.is_finite() && tick_size > 0.0) || instrument.lot_size == 0 {
        return Err(RejectReason::BadInstrument {
            tick_size,
            lot_size: instrument.lot_size,
        });
    }
    if instrument.is_index() {
        return Err(RejectReason::NotTradable {
            symbol: instrument.symbol.clone(),
        });
    }
    if !market_open {
        return Err(RejectReason::MarketClosed {
            exchange: instrument.exchange,
        });
    }
    if request.lots == 0 {
        return Err(RejectReason::ZeroLots);
    }
    let quantity = u64::from(request.lots) * u64::from(instrument.lot_size);
    // Quantities travel as f64 in money sums; beyond 2^53 they would stop being exact.
    if quantity > (1 << 53) {
        return Err(RejectReason::QuantityTooLarge {
            lots: request.lots,
            lot_size: instrument.lot_size,
        });
    }
    if let Some(trigger) = request.kind.trigger_price() {
        check_price(PriceField::Trigger, trigger, tick_size)?;
    }
    if let Some(limit) = request.kind.limit_price() {
        check_price(PriceField::Limit, limit, tick_size)?;
    }
    if let OrderKind::StopLoss {
        trigger_price,
        price,
    } = request.kind
    {
        let (trigger, limit) = (
            to_ticks(trigger_price, tick_size),
            to_ticks(price, tick_size),
        );
        let inverted = match request.side {
            Side::Buy => limit < trigger,
            Side::Sell => limit > trigger,
        };
        if inverted {
            return Err(RejectReason::LimitBeyondTrigger {
                trigger_price,
                price,
            });
        }
    }

    let tick = quote.ok_or(RejectReason::NoQuote)?;
    if tick.symbol != instrument.symbol {
        return Err(RejectReason::QuoteForOtherSymbol {
            symbol: instrument.symbol.clone(),
            quote_symbol: tick.symbol.clone(),
        });
    }
    if let Some(trigger_price) = request.kind.trigger_price() {
        if !(tick.ltp.is_finite() && tick.ltp > 0.0) {
            return Err(RejectReason::NoLastPrice);
        }
        let (trigger, ltp) = (
            to_ticks(trigger_price, tick_size),
            to_ticks(tick.ltp, tick_size),
        );
        if is_triggered(request.side, trigger, ltp) {
            return Err(RejectReason::TriggerAlreadyCrossed {
                trigger_price,
                ltp: tick.ltp,
            });
        }
    }
    Ok(tick)
}

fn check_price(field: PriceField, price: f64, tick_size: f64) -> Result<(), RejectReason> {
    if !(price.is_finite() && price > 0.0) {
        return Err(RejectReason::NonPositivePrice { field, price });
    }
    if !is_on_tick(price, tick_size) {
        return Err(RejectReason::OffTick {
            field,
            price,
            tick_size,
        });
    }
    Ok(())
}
