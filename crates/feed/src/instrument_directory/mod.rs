//! `InstrumentDirectory`: owns the instrument index. It starts from the config list and,
//! when a broker master is configured, loads it on start (unless the caller already did),
//! on `ReloadMaster`, and on the daily pre-market `RefreshMaster`, building each new
//! index aside and swapping it in whole. Every actor reads the index through the same
//! `SharedIndex`, so a swap reaches them all at once. Each load also resolves the
//! continuous config entries for the day; an entry that moves to another contract is a
//! roll, told to the followers (registry, broadcaster).

pub mod download;
mod messages;
mod reload;
mod rolls;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, MessageResult, Recipient,
    ResponseActFuture, WrapFuture,
};
use chrono::{NaiveDate, Utc};
use mandi_domain::Instrument;
use mandi_instruments::{Continuity, Unresolved};

use crate::auth_manager::{AuthManager, GetCredentials};
use crate::upstream;

/// A scheduled refresh whose download fails is tried this many times in all...
const REFRESH_ATTEMPTS: u32 = 6;
/// ...this far apart: from 08:35 IST the last try is at 09:00, before the 09:15 open, and
/// a Kite token adopted meanwhile is used by the next try.
const REFRESH_RETRY: Duration = Duration::from_secs(5 * 60);

pub use download::{is_cache_fresh, kite_headers, FetchError, MasterOrigin, MasterSource};
// The index itself is pure and lives in `mandi-instruments`; this actor owns its loading.
pub use mandi_instruments::{
    load_master, load_master_file, ChainRow, ContinuousFuture, ContinuousState, ContractInForce,
    IndexError, InstrumentIndex, LoadError, LoadReport, MasterKind, MergeReport, SearchHit,
    SharedIndex,
};
pub use messages::{
    ContractRoll, ContractsRolled, FollowRolls, GetInstrumentIndex, GetMasterStatus,
    GetSharedIndex, MasterStatus, RefreshMaster, ReloadError, ReloadMaster,
};
pub use rolls::same_contract;

/// The IST date continuous entries are resolved for (the runtime's clock in tests).
pub type Today = Arc<dyn Fn() -> NaiveDate + Send + Sync>;

/// Today's IST date by the wall clock.
pub fn ist_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&mandi_domain::time::IST)
        .date_naive()
}
pub use reload::{load_now, InUse, MasterProvider, MasterSettings, Reloaded};

/// Holds the shared index and hands it out.
pub struct InstrumentDirectory {
    index: SharedIndex,
    /// The config list every master is merged under (config wins).
    config: Arc<Vec<Instrument>>,
    master: Option<MasterSettings>,
    status: MasterStatus,
    /// Asked for the current session before each Kite download (its dump needs one).
    auth: Option<Addr<AuthManager>>,
    refresh_retry: Duration,
    load_on_start: bool,
    /// Config entries that stand for an underlying's nearest future.
    continuous: Vec<ContinuousFuture>,
    today: Today,
    /// The date the index in use resolved the continuous entries for: a reload on
    /// another day parses the cache again even if it is unchanged.
    resolved_for: Option<NaiveDate>,
    /// Told of every roll.
    roll_followers: Vec<Recipient<ContractsRolled>>,
}

impl InstrumentDirectory {
    /// Config instruments only: `index` is the config list, and there is no master to
    /// reload.
    pub fn new(index: Arc<InstrumentIndex>) -> InstrumentDirectory {
        InstrumentDirectory::over(SharedIndex::new(index))
    }

    /// Config instruments only, over a handle the caller shares with other actors.
    pub fn over(index: SharedIndex) -> InstrumentDirectory {
        let config = index
            .load()
            .all()
            .iter()
            .map(|i| Instrument::clone(i))
            .collect();
        InstrumentDirectory::from_parts(index, config, None)
    }

    /// With a broker master, loaded on start and on `ReloadMaster`. `index` is the handle
    /// every reload swaps (it may already hold the config-only index); `config` is merged
    /// over each master.
    pub fn with_master(
        index: SharedIndex,
        config: Vec<Instrument>,
        master: MasterSettings,
    ) -> InstrumentDirectory {
        InstrumentDirectory::from_parts(index, config, Some(master))
    }

    /// The caller tried the first load itself (at start, so the first subscriptions can
    /// name option contracts): install what it got, and do not load again as the actor
    /// starts. A failed first load waits for the refresh or a `ReloadMaster`.
    pub fn with_loaded(mut self, first: Result<Reloaded, ReloadError>) -> InstrumentDirectory {
        match first {
            Ok(reloaded) => {
                self.resolved_for = Some((self.today)());
                self.installed(reloaded);
            }
            Err(err) => {
                self.status.last_error = Some(err.to_string());
                let states: Vec<ContinuousState> = self
                    .continuous
                    .iter()
                    .map(|s| ContinuousState::unresolved(s, Unresolved::NoMaster))
                    .collect();
                rolls::log_changes(&self.continuous, &[], &states, &[]);
                self.status.continuous = states;
            }
        }
        self.load_on_start = false;
        self
    }

    /// Take the Kite session for master downloads from the auth manager, so a token
    /// adopted after start is the one the next download uses.
    pub fn with_auth(mut self, auth: Addr<AuthManager>) -> InstrumentDirectory {
        self.auth = Some(auth);
        self
    }

    /// Config entries declared continuous. Give them before `with_loaded`: the first load
    /// resolved them already and is installed there. Without a master each is unresolved,
    /// said once, and streams the contract its config ids name.
    pub fn with_continuous(mut self, specs: Vec<ContinuousFuture>) -> InstrumentDirectory {
        self.continuous = specs;
        if self.master.is_none() {
            let states: Vec<ContinuousState> = self
                .continuous
                .iter()
                .map(|s| ContinuousState::unresolved(s, Unresolved::NoMaster))
                .collect();
            rolls::log_changes(&self.continuous, &[], &states, &[]);
            self.status.continuous = states;
        }
        self
    }

    /// Where the IST date for resolving continuous entries comes from (the wall clock
    /// unless given).
    pub fn with_today(mut self, today: Today) -> InstrumentDirectory {
        self.today = today;
        self
    }

    /// How long a failed scheduled refresh waits before its next try (tests shorten it).
    pub fn with_refresh_retry(mut self, every: Duration) -> InstrumentDirectory {
        self.refresh_retry = every;
        self
    }

    /// The swappable handle this directory updates.
    pub fn shared(&self) -> SharedIndex {
        self.index.clone()
    }

    fn from_parts(
        index: SharedIndex,
        config: Vec<Instrument>,
        master: Option<MasterSettings>,
    ) -> InstrumentDirectory {
        let status = MasterStatus {
            kind: master.as_ref().map(|m| m.kind),
            source: master.as_ref().map(|m| m.source.describe()),
            provider: master.as_ref().map(|m| m.provider),
            index_len: index.load().len(),
            ..MasterStatus::default()
        };
        InstrumentDirectory {
            index,
            config: Arc::new(config),
            master,
            status,
            auth: None,
            refresh_retry: REFRESH_RETRY,
            load_on_start: true,
            continuous: Vec::new(),
            today: Arc::new(ist_today),
            resolved_for: None,
            roll_followers: Vec::new(),
        }
    }

    /// One reload as a future on this actor: marks the status while it runs and swaps
    /// the index in on success. Callers log the outcome (once per incident, not per try).
    fn reload(
        &mut self,
        force_download: bool,
    ) -> ResponseActFuture<Self, Result<LoadReport, ReloadError>> {
        let Some(mut settings) = self.master.clone() else {
            return Box::pin(actix::fut::ready(Err(ReloadError::NotConfigured)));
        };
        if self.status.reloading {
            return Box::pin(actix::fut::ready(Err(ReloadError::InProgress)));
        }
        self.status.reloading = true;
        let (config, auth) = (self.config.clone(), self.auth.clone());
        let today = (self.today)();
        let continuity = Continuity {
            specs: self.continuous.clone(),
            today: Some(today),
        };
        // A new day must resolve the continuous entries again, cache unchanged or not.
        let new_day = !self.continuous.is_empty() && self.resolved_for != Some(today);
        let in_use = match (&self.status.path, self.status.loaded_at) {
            (Some(path), Some(at)) if !new_day => Some(InUse {
                path: path.into(),
                loaded_at: at.into(),
            }),
            _ => None,
        };
        let work = async move {
            let needs_session = upstream::master_needs_session(settings.kind);
            if let (true, Some(auth)) = (needs_session, auth) {
                if let Ok(credentials) = auth.send(GetCredentials).await {
                    let headers = upstream::master_headers(&credentials);
                    settings.source = settings.source.with_headers(headers);
                }
            }
            let loaded = load_now(
                &settings,
                config,
                continuity,
                force_download,
                SystemTime::now(),
                in_use,
            )
            .await;
            loaded.map(|reloaded| (reloaded, today))
        };
        Box::pin(work.into_actor(self).map(|result, act, _| {
            act.status.reloading = false;
            match result {
                Ok((reloaded, today)) => {
                    act.resolved_for = Some(today);
                    Ok(act.installed(reloaded))
                }
                Err(err) => {
                    act.status.last_error = Some(err.to_string());
                    Err(err)
                }
            }
        }))
    }

    fn installed(&mut self, reloaded: reload::Reloaded) -> LoadReport {
        let reload::Reloaded {
            index,
            report,
            origin,
            path,
        } = reloaded;
        let master = &report.master;
        tracing::info!(
            rows = master.rows,
            accepted = master.accepted,
            rejected = master.rejected,
            skipped = master.skipped(),
            config_conflicts = report.merge.config_conflicts(),
            shadowed_symbols = report.merge.shadowed_symbols,
            origin = ?origin,
            "instrument master loaded"
        );
        self.status = MasterStatus {
            origin: Some(origin),
            // A download with no cache to keep it is gone once loaded: no path to show.
            path: path.exists().then(|| path.display().to_string()),
            loaded_at: Some(Utc::now()),
            rows: master.rows,
            accepted: master.accepted,
            rejected: master.rejected,
            index_len: index.len(),
            reloading: false,
            last_error: None,
            last_report: Some(report.clone()),
            ..std::mem::take(&mut self.status)
        };
        let previous = std::mem::take(&mut self.status.continuous);
        let rolled = rolls::rolls(&self.index.load(), &index, &report.continuous);
        rolls::log_changes(&self.continuous, &previous, &report.continuous, &rolled);
        self.status.continuous = report.continuous.clone();
        if !self.continuous.is_empty() {
            self.config = Arc::new(rolls::carried_config(
                &self.config,
                &index,
                &self.continuous,
            ));
        }
        let old = self.index.swap(Arc::new(index));
        // Freeing 10^5 instruments takes a while; not on the actor's thread.
        tokio::task::spawn_blocking(move || drop(old));
        if !rolled.is_empty() {
            // Rare (a roll a month per entry) and must not be lost: `do_send`.
            for follower in &self.roll_followers {
                follower.do_send(ContractsRolled {
                    rolls: rolled.clone(),
                });
            }
        }
        report
    }
}

impl Actor for InstrumentDirectory {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Also runs after a crash restart: a master already in the index is kept.
        if self.master.is_some() && self.load_on_start && self.status.loaded_at.is_none() {
            ctx.notify(ReloadMaster::default());
        }
    }
}

impl actix::Supervised for InstrumentDirectory {}

mandi_supervision::crash_handler!(InstrumentDirectory);

impl Handler<GetInstrumentIndex> for InstrumentDirectory {
    type Result = MessageResult<GetInstrumentIndex>;

    fn handle(&mut self, _: GetInstrumentIndex, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.index.load())
    }
}

impl Handler<GetSharedIndex> for InstrumentDirectory {
    type Result = MessageResult<GetSharedIndex>;

    fn handle(&mut self, _: GetSharedIndex, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.index.clone())
    }
}

impl Handler<GetMasterStatus> for InstrumentDirectory {
    type Result = MessageResult<GetMasterStatus>;

    fn handle(&mut self, _: GetMasterStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.status.clone())
    }
}

impl Handler<FollowRolls> for InstrumentDirectory {
    type Result = ();

    fn handle(&mut self, msg: FollowRolls, _: &mut Context<Self>) {
        self.roll_followers.push(msg.follower);
    }
}

impl Handler<ReloadMaster> for InstrumentDirectory {
    type Result = ResponseActFuture<Self, Result<LoadReport, ReloadError>>;

    fn handle(&mut self, msg: ReloadMaster, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.reload(msg.force_download).map(|result, _, _| {
            if let Err(err) = &result {
                if !matches!(err, ReloadError::NotConfigured | ReloadError::InProgress) {
                    tracing::warn!(error = %err, fix = "check master.source; the current index stays in use", "instrument master reload failed");
                }
            }
            result
        }))
    }
}

impl Handler<RefreshMaster> for InstrumentDirectory {
    type Result = ();

    fn handle(&mut self, _: RefreshMaster, ctx: &mut Context<Self>) {
        if self.master.is_none() {
            return;
        }
        let refresh = self.reload(true).map(|result, act, ctx| {
            // A stale-cache load (or keeping the cache in use) is a failed download all
            // the same: try again.
            let failure = match &result {
                Ok(_) => match &act.status.origin {
                    Some(MasterOrigin::StaleCache { download_error }) => {
                        Some((download_error.clone(), true))
                    }
                    _ => None,
                },
                Err(err) => Some((err.to_string(), err.is_retryable())),
            };
            let Some((error, retryable)) = failure else {
                act.status.refresh_failures = 0;
                return;
            };
            act.status.refresh_failures += 1;
            let attempt = act.status.refresh_failures;
            if retryable && attempt < REFRESH_ATTEMPTS {
                if attempt == 1 {
                    tracing::warn!(error = %error, retry_in_s = act.refresh_retry.as_secs(), attempts = REFRESH_ATTEMPTS, "pre-market master refresh failed; the loaded master stays in use and the download is retried");
                }
                ctx.run_later(act.refresh_retry, |_, ctx| ctx.notify(RefreshMaster));
            } else {
                tracing::error!(error = %error, attempts = attempt, fix = "check master.source, the network and (Kite) the access token; new contracts are missing until POST /api/admin/master/reload succeeds", "pre-market master refresh gave up; trading on the previous master");
                act.status.refresh_failures = 0;
            }
        });
        ctx.spawn(refresh.map(|_, _, _| ()));
    }
}

#[cfg(test)]
mod tests;
