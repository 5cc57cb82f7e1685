//! The executor as an actor: an order with no quote to meet waits for one it can fill on.

use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use mandi_fanout::price_store::TicksPublished;
use mandi_instruments::SharedIndex;
use mandi_paper::{OrderKind, OrderStatus, PaperSettings, Side};

use super::{PaperExecutor, PlaceOrder};
use crate::test_support::{at, index, quote, request, CE};

#[actix_rt::test]
async fn a_waiting_order_is_not_woken_by_an_ltp_only_tick() {
    let clock: crate::clock::Clock = Arc::new(|| at(1));
    let exec = PaperExecutor::new(
        PaperSettings::default(),
        None,
        SharedIndex::new(Arc::new(index())),
        clock,
    )
    .start();
    let placed = exec.send(PlaceOrder {
        symbol: CE.into(),
        request: request(Side::Buy, OrderKind::Market, "wait"),
        quote: None,
    });
    let mut placed = Box::pin(placed);
    // The instrument still streams in LTP mode: a price, no bid or ask.
    let mut ltp_only = quote(CE, 0.0, 0.0, 1);
    ltp_only.ltp = 101.0;
    let send = |tick| {
        exec.send(TicksPublished {
            ticks: Arc::from(vec![tick]),
        })
    };
    send(ltp_only).await.expect("the executor takes ticks");
    // Still waiting: nothing answered within a bounded look (the bug answered at once,
    // rejected for want of a two-sided quote).
    let early = tokio::time::timeout(Duration::from_millis(300), &mut placed).await;
    assert!(early.is_err(), "answered on an LTP-only tick: {early:?}");
    send(quote(CE, 100.0, 100.5, 1))
        .await
        .expect("the executor takes ticks");
    let outcome = tokio::time::timeout(Duration::from_secs(5), placed)
        .await
        .expect("answered once a two-sided quote came")
        .expect("the executor answers")
        .expect("placed");
    assert_eq!(
        outcome.order.status,
        OrderStatus::Filled,
        "{:?}",
        outcome.order
    );
    assert_eq!(outcome.fills[0].price, 100.5, "bought at the ask");
}
