//! `FaultDriver`: the one actor behind the timed switches. `drop_every_ms` is an
//! interval that cuts every feed connection; `expire_token_at` is a timer that asks
//! every session to recheck its token at the instant. Re-armed on each change.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};

use super::FaultKind;
use crate::sessions::SessionControl;
use crate::state::SimState;

/// The switches changed: re-read them and re-arm the timers.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reconfigure;

/// Simulator shutdown.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopDriver;

pub struct FaultDriver {
    state: Arc<SimState>,
    drop_every: Option<(u64, SpawnHandle)>,
    expiry: Option<(DateTime<Utc>, SpawnHandle)>,
}

impl FaultDriver {
    pub fn new(state: Arc<SimState>) -> Self {
        FaultDriver {
            state,
            drop_every: None,
            expiry: None,
        }
    }
}

impl Actor for FaultDriver {
    type Context = Context<Self>;
}

impl Handler<Reconfigure> for FaultDriver {
    type Result = ();

    fn handle(&mut self, _: Reconfigure, ctx: &mut Self::Context) {
        let faults = self.state.faults.current();
        // Only a changed setting re-arms its timer, so re-posting the same switches
        // does not push the next cut further out.
        if self.drop_every.as_ref().map(|(ms, _)| *ms) != faults.drop_every_ms {
            if let Some((_, h)) = self.drop_every.take() {
                ctx.cancel_future(h);
            }
            if let Some(ms) = faults.drop_every_ms {
                let h = ctx.run_interval(Duration::from_millis(ms), |act, _| {
                    let n = act.state.sessions.broadcast(SessionControl::Drop);
                    act.state.faults.bump(FaultKind::DropEvery);
                    tracing::info!(dropped = n, "fault: periodic drop");
                });
                self.drop_every = Some((ms, h));
            }
        }
        if self.expiry.as_ref().map(|(at, _)| *at) != faults.expire_token_at {
            if let Some((_, h)) = self.expiry.take() {
                ctx.cancel_future(h);
            }
            if let Some(at) = faults.expire_token_at {
                let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                let h = ctx.run_later(wait, |act, _| {
                    let n = act.state.sessions.broadcast(SessionControl::RecheckToken);
                    tracing::info!(sessions = n, "fault: access token expired");
                });
                self.expiry = Some((at, h));
            }
        }
    }
}

impl Handler<StopDriver> for FaultDriver {
    type Result = ();

    fn handle(&mut self, _: StopDriver, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
