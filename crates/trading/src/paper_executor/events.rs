//! What a call's events become: the refusal de-duplication that keeps a stale spell to
//! one journal line per order, and the client frames of the events kept.

use std::collections::HashMap;

use mandi_paper::{OrderId, PaperBook, PaperEvent};

use mandi_protocol::client::{to_bytes, Frame};

/// Remembers the last refusal code per open order: a stale quote refuses a resting order
/// on every tick, and the journal and clients need the incident once, not 4 times a second.
#[derive(Debug, Default, Clone)]
pub struct RefusalMemo {
    last: HashMap<OrderId, &'static str>,
}

impl RefusalMemo {
    /// Drops repeated refusals from `events`; forgets orders that closed.
    pub fn filter(&mut self, events: Vec<PaperEvent>, book: &PaperBook) -> Vec<PaperEvent> {
        let kept: Vec<PaperEvent> = events
            .into_iter()
            .filter(|e| match e {
                PaperEvent::FillRefused {
                    order_id, reason, ..
                } => {
                    let code = reason.code();
                    self.last.insert(*order_id, code) != Some(code)
                }
                _ => true,
            })
            .collect();
        self.last
            .retain(|id, _| book.order(*id).is_some_and(|o| o.is_open()));
        kept
    }
}

/// The client frames for a call's events: `order_update` carries the order as it stands
/// after the call, `fill` and `position_update` the record itself.
pub fn frames(events: &[PaperEvent], book: &PaperBook) -> Vec<Frame> {
    let mut out = Vec::new();
    for event in events {
        let frame = match event {
            PaperEvent::OrderAccepted { order, .. } | PaperEvent::OrderRejected { order, .. } => {
                let current = book.order(order.order_id).unwrap_or(order);
                to_bytes(&serde_json::json!({"type": "order_update", "data": current}))
            }
            PaperEvent::OrderTriggered { order_id, .. }
            | PaperEvent::OrderCancelled { order_id, .. } => match book.order(*order_id) {
                Some(order) => {
                    to_bytes(&serde_json::json!({"type": "order_update", "data": order}))
                }
                None => continue,
            },
            PaperEvent::OrderFilled { fill } => {
                to_bytes(&serde_json::json!({"type": "fill", "data": fill}))
            }
            PaperEvent::FillRefused {
                order_id,
                reason,
                quote_age_ms,
                processed_at,
            } => to_bytes(&serde_json::json!({"type": "fill_refused", "data": {
                "order_id": order_id, "reason": reason, "quote_age_ms": quote_age_ms,
                "processed_at": processed_at,
            }})),
            PaperEvent::PositionChanged { position, .. } => {
                to_bytes(&serde_json::json!({"type": "position_update", "data": position}))
            }
        };
        out.push(frame);
    }
    out
}
