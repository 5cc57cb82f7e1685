//! `InstrumentDirectory`: owns the instrument index. It starts from the config list and,
//! when a broker master is configured, reloads it on start and on `ReloadMaster`,
//! building each new index aside and swapping it in whole.

mod chain;
pub mod download;
mod load;
mod merge;
mod messages;
mod names;
mod reload;
mod shared;
mod state;

use std::sync::Arc;
use std::time::SystemTime;

use actix::{
    Actor, ActorFutureExt, AsyncContext, Context, Handler, MessageResult, ResponseActFuture,
    WrapFuture,
};
use chrono::Utc;
use mandi_domain::Instrument;

pub use chain::ChainRow;
pub use download::{is_cache_fresh, FetchError, MasterOrigin, MasterSource};
pub use load::{load_master, load_master_file, LoadError, LoadReport, MasterKind};
pub use merge::MergeReport;
pub use messages::{
    GetInstrumentIndex, GetMasterStatus, GetSharedIndex, MasterStatus, ReloadError, ReloadMaster,
};
pub use reload::MasterSettings;
pub use shared::SharedIndex;
pub use state::{IndexError, InstrumentIndex, SearchHit};

/// Holds the shared index and hands it out.
pub struct InstrumentDirectory {
    index: SharedIndex,
    /// The config list every master is merged under (config wins).
    config: Arc<Vec<Instrument>>,
    master: Option<MasterSettings>,
    status: MasterStatus,
}

impl InstrumentDirectory {
    /// Config instruments only: `index` is the config list, and there is no master to
    /// reload.
    pub fn new(index: Arc<InstrumentIndex>) -> InstrumentDirectory {
        let config = index.all().iter().map(|i| Instrument::clone(i)).collect();
        InstrumentDirectory::from_parts(SharedIndex::new(index), config, None)
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
            index_len: index.load().len(),
            ..MasterStatus::default()
        };
        InstrumentDirectory {
            index,
            config: Arc::new(config),
            master,
            status,
        }
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
            path: Some(path.display().to_string()),
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
        let old = self.index.swap(Arc::new(index));
        // Freeing 10^5 instruments takes a while; not on the actor's thread.
        tokio::task::spawn_blocking(move || drop(old));
        report
    }
}

impl Actor for InstrumentDirectory {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.master.is_some() {
            ctx.notify(ReloadMaster::default());
        }
    }
}

impl actix::Supervised for InstrumentDirectory {}

crate::crash_handler!(InstrumentDirectory);

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

impl Handler<ReloadMaster> for InstrumentDirectory {
    type Result = ResponseActFuture<Self, Result<LoadReport, ReloadError>>;

    fn handle(&mut self, msg: ReloadMaster, _: &mut Context<Self>) -> Self::Result {
        let Some(settings) = self.master.clone() else {
            return Box::pin(actix::fut::ready(Err(ReloadError::NotConfigured)));
        };
        if self.status.reloading {
            return Box::pin(actix::fut::ready(Err(ReloadError::InProgress)));
        }
        self.status.reloading = true;
        let config = self.config.clone();
        let work = async move {
            let fetched = reload::fetch(&settings, msg.force_download, SystemTime::now()).await?;
            // Parsing and indexing take up to about half a second: off the actor's thread.
            let built = tokio::task::spawn_blocking(move || {
                reload::load_fetched(fetched, &settings, &config)
            })
            .await
            .map_err(|_| ReloadError::Worker)?;
            Ok::<_, ReloadError>(built?)
        };
        Box::pin(work.into_actor(self).map(|result, act, _| {
            act.status.reloading = false;
            match result {
                Ok(reloaded) => Ok(act.installed(reloaded)),
                Err(err) => {
                    tracing::warn!(error = %err, "instrument master reload failed; keeping the current index");
                    act.status.last_error = Some(err.to_string());
                    Err(err)
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests;
