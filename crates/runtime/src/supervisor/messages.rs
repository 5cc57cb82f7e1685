//! The supervisor's start-up failures.

use thiserror::Error;

use mandi_feed::instrument_directory::IndexError;

#[derive(Debug, Error)]
pub enum StartError {
    #[error("instrument list is inconsistent: {0}")]
    Instruments(#[from] IndexError),
    #[error("symbol {0} in the default subscription set is not a known instrument")]
    UnknownDefaultSymbol(String),
}
