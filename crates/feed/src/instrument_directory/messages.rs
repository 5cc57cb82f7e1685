//! Messages the instrument directory answers.

use std::sync::Arc;

use actix::{Message, Recipient};
use chrono::{DateTime, NaiveDate, Utc};
use mandi_domain::Instrument;
use serde::Serialize;
use thiserror::Error;

use super::download::{FetchError, MasterOrigin};
use mandi_instruments::InstrumentIndex;
use mandi_instruments::SharedIndex;
use mandi_instruments::{ContinuousState, LoadError, LoadReport, MasterKind};

/// Query: the current index (cheap `Arc` clone; callers keep it for lookups).
#[derive(Message)]
#[rtype(result = "Arc<InstrumentIndex>")]
pub struct GetInstrumentIndex;

/// Query: the swappable handle, for actors that must follow master reloads.
#[derive(Message)]
#[rtype(result = "SharedIndex")]
pub struct GetSharedIndex;

/// Command: fetch the broker master again and swap in a new index. On any error the
/// current index stays.
#[derive(Message, Clone, Copy, Debug, Default)]
#[rtype(result = "Result<LoadReport, ReloadError>")]
pub struct ReloadMaster {
    /// Download even when the cached copy is still fresh.
    pub force_download: bool,
}

/// The daily pre-market refresh (08:35 IST, from the market clock): download the master
/// again whatever the cache's age. A download that fails leaves the cached copy in use
/// and is tried again a few times, minutes apart, before the open.
#[derive(Message, Clone, Copy, Debug, Default)]
#[rtype(result = "()")]
pub struct RefreshMaster;

/// Query: what the last master load did.
#[derive(Message)]
#[rtype(result = "MasterStatus")]
pub struct GetMasterStatus;

/// The directory's master, for `/health` and operators.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MasterStatus {
    /// `None` when the directory runs on config instruments alone.
    pub kind: Option<MasterKind>,
    /// The configured path or URL.
    pub source: Option<String>,
    /// Who publishes it: `broker` (the official master), `simulator` or `configured`.
    pub provider: Option<super::MasterProvider>,
    /// How the loaded file was obtained, and the file itself (none for a download kept in
    /// no cache: it is removed once loaded).
    pub origin: Option<MasterOrigin>,
    pub path: Option<String>,
    /// When the current index was swapped in.
    pub loaded_at: Option<DateTime<Utc>>,
    /// Data rows in the loaded file.
    pub rows: usize,
    /// Rows turned into instruments / dropped as bad.
    pub accepted: usize,
    pub rejected: usize,
    /// Instruments in the current index (config and master).
    pub index_len: usize,
    pub reloading: bool,
    /// Failed attempts of the current scheduled refresh (0 once one succeeds).
    pub refresh_failures: u32,
    /// The last reload's error, cleared by the next success. The index it failed to
    /// replace is still the one in use.
    pub last_error: Option<String>,
    pub last_report: Option<LoadReport>,
    /// Each continuous config entry: the contract in force, or why there is none (it
    /// then keeps the contract it had).
    pub continuous: Vec<ContinuousState>,
}

/// Command: tell `follower` of every roll of a continuous entry (the registry moves the
/// upstream subscription, the broadcaster tells the clients).
#[derive(Message)]
#[rtype(result = "()")]
pub struct FollowRolls {
    pub follower: Recipient<ContractsRolled>,
}

/// Event: continuous entries now stand for other contracts; the index holding them is
/// already in use.
#[derive(Message, Clone, Debug, PartialEq)]
#[rtype(result = "()")]
pub struct ContractsRolled {
    pub rolls: Vec<ContractRoll>,
}

/// One continuous entry moved from one contract to the next.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContractRoll {
    /// The name clients use (`CRUDEOIL`).
    pub symbol: Arc<str>,
    /// The canonical symbol of the contract it stood for, when the master names it.
    pub from: Option<Arc<str>>,
    /// The canonical symbol of the contract in force now.
    pub to: Arc<str>,
    pub expiry: NaiveDate,
    /// The entry as the new index holds it (the new contract's ids).
    #[serde(skip)]
    pub instrument: Arc<Instrument>,
}

#[derive(Debug, Error)]
pub enum ReloadError {
    #[error("no broker master is configured")]
    NotConfigured,
    #[error("a master reload is already running")]
    InProgress,
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the master loading task stopped unexpectedly")]
    Worker,
    #[error("{download_error}; the cached copy already in use stays")]
    CacheInUse { download_error: String },
}

impl ReloadError {
    /// Worth trying again later without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            ReloadError::InProgress | ReloadError::Worker | ReloadError::CacheInUse { .. } => true,
            ReloadError::Fetch(err) => err.is_retryable(),
            ReloadError::NotConfigured | ReloadError::Load(_) => false,
        }
    }
}
