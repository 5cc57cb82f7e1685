//! One instrument's mode change on the upstream, the unit the registry decides in and
//! each broker's subscribe messages are built from.

use mandi_domain::{Instrument, Mode};

/// One upstream instrument's mode moving from `from` to `to` (None = not subscribed).
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamChange {
    pub instrument: Instrument,
    pub from: Option<Mode>,
    pub to: Option<Mode>,
}
