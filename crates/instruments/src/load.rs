//! Loading a master file into a new index built aside: parse, merge under the config,
//! report. Blocking (file IO and about a second of CPU at most); run it off the
//! actor's thread.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use mandi_domain::Instrument;
use mandi_protocol::master::{self, MasterError, MasterReport, MasterThresholds};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::continuous::{resolve_config, Continuity, ContinuousState};
use crate::{IndexError, InstrumentIndex, MergeReport};

/// File reads in large chunks: the masters are tens of megabytes.
const FILE_BUFFER_BYTES: usize = 1 << 20;

/// Which broker's file layout to expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MasterKind {
    /// Dhan scrip master, compact or detailed (told apart by the header).
    Dhan,
    /// Kite instruments CSV.
    Kite,
}

impl MasterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MasterKind::Dhan => "dhan",
            MasterKind::Kite => "kite",
        }
    }
}

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("cannot open master {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("master refused: {0}")]
    Master(#[from] MasterError),
    #[error("config instruments are inconsistent: {0}")]
    Config(#[from] IndexError),
}

/// What one load did: the file's rows, then the merge under the config.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadReport {
    pub master: MasterReport,
    pub merge: MergeReport,
    /// Each continuous config entry's contract in force (or why none), in config order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub continuous: Vec<ContinuousState>,
}

/// Reads `path` as a `kind` master and builds a new index of `config` over it. The
/// caller swaps it in on success and keeps its current index on any error.
pub fn load_master_file(
    path: &Path,
    kind: MasterKind,
    config: Vec<Instrument>,
    thresholds: &MasterThresholds,
) -> Result<(InstrumentIndex, LoadReport), LoadError> {
    load_master_file_with(path, kind, config, &Continuity::default(), thresholds)
}

/// As `load_master_file`, resolving the continuous entries of `continuity` against the
/// master for its date before the merge.
pub fn load_master_file_with(
    path: &Path,
    kind: MasterKind,
    config: Vec<Instrument>,
    continuity: &Continuity,
    thresholds: &MasterThresholds,
) -> Result<(InstrumentIndex, LoadReport), LoadError> {
    let file = File::open(path).map_err(|source| LoadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    load_master_with(
        BufReader::with_capacity(FILE_BUFFER_BYTES, file),
        kind,
        config,
        continuity,
        thresholds,
    )
}

/// As `load_master_file`, from any reader.
pub fn load_master<R: Read>(
    reader: R,
    kind: MasterKind,
    config: Vec<Instrument>,
    thresholds: &MasterThresholds,
) -> Result<(InstrumentIndex, LoadReport), LoadError> {
    load_master_with(reader, kind, config, &Continuity::default(), thresholds)
}

/// As `load_master`, with continuous entries (see `load_master_file_with`).
pub fn load_master_with<R: Read>(
    reader: R,
    kind: MasterKind,
    config: Vec<Instrument>,
    continuity: &Continuity,
    thresholds: &MasterThresholds,
) -> Result<(InstrumentIndex, LoadReport), LoadError> {
    let load = match kind {
        MasterKind::Dhan => master::parse_dhan_master(reader, thresholds)?,
        MasterKind::Kite => master::parse_kite_instruments(reader, thresholds)?,
    };
    let (config, continuous) = resolve_config(config, &load.rows, continuity);
    let (index, merge) = InstrumentIndex::with_master(config, load.rows)?;
    Ok((
        index,
        LoadReport {
            master: load.report,
            merge,
            continuous,
        },
    ))
}
