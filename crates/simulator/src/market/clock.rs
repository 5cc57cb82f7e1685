//! `MarketClock`: the single actor that steps every price model (random walks, then
//! the derivatives priced from them) each `tick_interval_ms`, publishes the snapshot
//! and notifies the feed sessions. Quote pins reach the models through it too, so
//! nothing else mutates prices.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};

use super::{MarketModels, MarketSnapshot};
use crate::pins::PinTable;
use crate::state::SimState;

/// Sent to every open feed session after a tick moved at least one price, or, when the
/// simulator plays a recording, with the recorded frames now due (`recorded`, sent as
/// they are instead of packets built from the snapshot).
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct MarketTicked {
    pub snapshot: Arc<MarketSnapshot>,
    pub recorded: Arc<[bytes::Bytes]>,
}

/// Stop the clock (simulator shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopClock;

/// What `/admin/quotes` (or the handle) asks of the clock. Every variant answers with
/// the pins in force afterwards.
pub enum PinChange {
    List,
    Pin(PinTable),
    Unpin(usize),
    UnpinAll,
}

/// Applied at once and published as a snapshot of its own, so a REST quote or a feed
/// packet right after the answer already carries the change.
#[derive(Message)]
#[rtype(result = "PinTable")]
pub struct ChangePins(pub PinChange);

/// Owns every price model; nothing else mutates prices.
pub struct MarketClock {
    models: MarketModels,
    state: Arc<SimState>,
    /// The next recorded frame to play (replay only).
    replayed: usize,
}

impl MarketClock {
    pub fn new(models: MarketModels, state: Arc<SimState>) -> Self {
        MarketClock {
            models,
            state,
            replayed: 0,
        }
    }

    /// Replay: the recorded frames the clock has passed go to every session as they are.
    fn play(&mut self, frames: &[(i64, bytes::Bytes)], now: DateTime<Utc>) {
        let now_ns = now.timestamp_nanos_opt().unwrap_or(i64::MAX);
        let from = self.replayed;
        while self.replayed < frames.len() && frames[self.replayed].0 <= now_ns {
            self.replayed += 1;
        }
        if from == self.replayed {
            return;
        }
        let due: Arc<[bytes::Bytes]> = frames[from..self.replayed]
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        let snapshot = self.state.snapshot();
        for session in self.state.sessions.tick_recipients() {
            // `do_send`: a recording has no later version to catch up from.
            session.do_send(MarketTicked {
                snapshot: snapshot.clone(),
                recorded: due.clone(),
            });
        }
        if self.replayed == frames.len() {
            tracing::info!(
                frames = frames.len(),
                "the recording has been played to its end; prices stay where it left them"
            );
        }
    }

    fn advance(&mut self) {
        let now = self.state.settings.clock.now();
        if let Some(frames) = self.state.settings.replay.frames().cloned() {
            return self.play(&frames, now);
        }
        // Every instrument is priced every step: about 1,400 of them cost well under a
        // millisecond (see `build::tests::step_cost_of_the_whole_universe`).
        if self.models.step(now) == 0 {
            return;
        }
        self.publish(now);
    }

    fn publish(&mut self, now: DateTime<Utc>) {
        let snapshot = Arc::new(self.models.snapshot(now));
        self.state.publish(snapshot.clone());
        // try_send: a session whose mailbox is full skips this tick and catches up on
        // the next one (sessions send by version, so nothing is lost but latency).
        for session in self.state.sessions.tick_recipients() {
            let _ = session.try_send(MarketTicked {
                snapshot: snapshot.clone(),
                recorded: Arc::from([]),
            });
        }
    }
}

impl Actor for MarketClock {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let every = Duration::from_millis(self.state.settings.tick_interval_ms.max(1));
        tracing::debug!(
            tick_interval_ms = every.as_millis() as u64,
            instruments = self.models.len(),
            "market clock started"
        );
        ctx.run_interval(every, |act, _| act.advance());
    }
}

impl Handler<ChangePins> for MarketClock {
    type Result = MessageResult<ChangePins>;

    fn handle(&mut self, msg: ChangePins, _: &mut Self::Context) -> Self::Result {
        let now = self.state.settings.clock.now();
        match msg.0 {
            PinChange::List => return MessageResult(self.models.pins().clone()),
            PinChange::Pin(pins) => self.models.pin(pins, now),
            PinChange::Unpin(idx) => self.models.unpin(Some(idx), now),
            PinChange::UnpinAll => self.models.unpin(None, now),
        }
        self.publish(now);
        MessageResult(self.models.pins().clone())
    }
}

impl Handler<StopClock> for MarketClock {
    type Result = ();

    fn handle(&mut self, _: StopClock, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
