//! Supervision that also survives panics. actix's `Supervisor` restarts an actor that
//! stops, but a panic inside a handler unwinds through its task and takes the actor, its
//! mailbox and every `Addr` to it down for good. `start_resilient` polls the actor's
//! context inside `catch_unwind`; a panic or a stop restarts the same actor value in
//! the same mailbox (so every `Addr` stays valid and queued messages are kept), after
//! `Supervised::restarting` has rebuilt whatever the failure may have left half done.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};

use actix::dev::ContextFut;
use actix::{Actor, Addr, AsyncContext, Context, Message, Supervised};
use serde::{Deserialize, Serialize};

/// How to crash an actor on purpose (admin drills and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrashKind {
    /// The actor stops itself, as on an unrecoverable error.
    Stop,
    /// A handler panics, as on a bug.
    Panic,
}

/// Crash the receiving actor; supervision must bring it back.
#[derive(Message, Clone, Copy, Debug)]
#[rtype(result = "()")]
pub struct CrashActor {
    pub kind: CrashKind,
}

/// How often one actor came back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RestartCount {
    /// Every restart, whatever the cause.
    pub restarts: u64,
    /// Of which were panics.
    pub panics: u64,
}

/// Restart counts per actor name, shared between the supervision futures and `/health`.
#[derive(Debug, Default)]
pub struct ActorRestarts {
    counts: Mutex<BTreeMap<&'static str, RestartCount>>,
}

impl ActorRestarts {
    fn record(&self, actor: &'static str, panicked: bool) {
        // A poisoned lock only means a panic elsewhere while counting; the map is intact.
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = counts.entry(actor).or_default();
        entry.restarts += 1;
        entry.panics += u64::from(panicked);
    }

    fn register(&self, actor: &'static str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.entry(actor).or_default();
    }

    pub fn snapshot(&self) -> BTreeMap<&'static str, RestartCount> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().map(|c| c.restarts).sum()
    }
}

/// Start `f`'s actor under panic-safe supervision on the current arbiter.
pub fn start_resilient<A, F>(name: &'static str, restarts: Arc<ActorRestarts>, f: F) -> Addr<A>
where
    A: Supervised + Actor<Context = Context<A>>,
    F: FnOnce(&mut Context<A>) -> A,
{
    let mut ctx = Context::new();
    let act = f(&mut ctx);
    let addr = ctx.address();
    restarts.register(name);
    actix::spawn(Resilient {
        fut: ctx.into_future(act),
        name,
        restarts,
    });
    addr
}

struct Resilient<A>
where
    A: Supervised + Actor<Context = Context<A>>,
{
    fut: ContextFut<A, Context<A>>,
    name: &'static str,
    restarts: Arc<ActorRestarts>,
}

impl<A> Future for Resilient<A>
where
    A: Supervised + Actor<Context = Context<A>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let polled = catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.fut).poll(cx)));
            let panicked = match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(())) => false,
                Err(payload) => {
                    tracing::error!(
                        actor = this.name,
                        panic = panic_text(&payload),
                        fix = "restarted with its state rebuilt; please report this with the log above",
                        "actor panicked"
                    );
                    true
                }
            };
            // `restart` is false once nobody holds an address: then the actor is done.
            if !this.fut.restart() {
                return Poll::Ready(());
            }
            this.restarts.record(this.name, panicked);
        }
    }
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> &str {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-text panic")
}

/// What `crash_handler!` expands to needs, so a caller needs no extra dependency for it.
#[doc(hidden)]
pub mod __macro {
    pub use actix;
    pub use tracing;
}

/// `Handler<CrashActor>` for an actor: stop, or panic inside the handler.
#[macro_export]
macro_rules! crash_handler {
    ($actor:ty) => {
        impl $crate::__macro::actix::Handler<$crate::CrashActor> for $actor {
            type Result = ();

            fn handle(
                &mut self,
                msg: $crate::CrashActor,
                ctx: &mut $crate::__macro::actix::Context<Self>,
            ) {
                $crate::__macro::tracing::warn!(
                    actor = stringify!($actor),
                    kind = ?msg.kind,
                    "crashing on request"
                );
                match msg.kind {
                    $crate::CrashKind::Stop => $crate::__macro::actix::ActorContext::stop(ctx),
                    $crate::CrashKind::Panic => {
                        panic!("{} crashed on request", stringify!($actor))
                    }
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix::Handler;

    #[derive(Default)]
    struct Counter {
        value: u64,
        restarted: u64,
    }

    impl Actor for Counter {
        type Context = Context<Self>;
    }

    impl Supervised for Counter {
        fn restarting(&mut self, _: &mut Context<Self>) {
            self.restarted += 1;
        }
    }

    #[derive(Message)]
    #[rtype(result = "(u64, u64)")]
    struct Add(u64);

    impl Handler<Add> for Counter {
        type Result = actix::MessageResult<Add>;

        fn handle(&mut self, msg: Add, _: &mut Context<Self>) -> Self::Result {
            self.value += msg.0;
            actix::MessageResult((self.value, self.restarted))
        }
    }

    crate::crash_handler!(Counter);

    #[actix_rt::test]
    async fn stop_and_panic_restart_the_same_actor_behind_the_same_address() {
        let restarts = Arc::new(ActorRestarts::default());
        let addr = start_resilient("counter", restarts.clone(), |_| Counter::default());
        assert_eq!(addr.send(Add(1)).await.ok(), Some((1, 0)));

        addr.do_send(CrashActor {
            kind: CrashKind::Stop,
        });
        assert_eq!(
            addr.send(Add(1)).await.ok(),
            Some((2, 1)),
            "state kept over a stop"
        );

        // The panic's reply channel is dropped: the sender sees an error, not a hang.
        assert!(addr
            .send(CrashActor {
                kind: CrashKind::Panic
            })
            .await
            .is_err());
        assert_eq!(
            addr.send(Add(1)).await.ok(),
            Some((3, 2)),
            "same address after a panic"
        );

        let counts = restarts.snapshot();
        assert_eq!(
            counts.get("counter"),
            Some(&RestartCount {
                restarts: 2,
                panics: 1
            })
        );
    }
}
