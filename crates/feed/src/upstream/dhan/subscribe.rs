//! What Dhan's feed is told (protocols.md A2): subscriptions are per mode, so a replay is
//! one subscribe per mode and a mode change is an unsubscribe of the old mode plus a
//! subscribe of the new one. The protocol crate's helpers batch by 100.

use mandi_domain::{Instrument, Mode, Segment};
use mandi_protocol::dhan;

use crate::feed_connection::messages::UpstreamChange;

/// One logical Dhan request; `encode` may split it into several messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DhanCommand {
    Subscribe {
        mode: Mode,
        instruments: Vec<(Segment, u32)>,
    },
    Unsubscribe {
        mode: Mode,
        instruments: Vec<(Segment, u32)>,
    },
}

impl DhanCommand {
    /// The text frames to send, at most 100 instruments each.
    pub fn encode(&self) -> Vec<String> {
        match self {
            DhanCommand::Subscribe { mode, instruments } => {
                dhan::subscribe_messages(*mode, instruments)
            }
            DhanCommand::Unsubscribe { mode, instruments } => {
                dhan::unsubscribe_messages(*mode, instruments)
            }
        }
    }
}

/// Everything in `active`, for a fresh socket: one subscribe per mode.
pub fn replay(active: &[(Instrument, Mode)]) -> Vec<DhanCommand> {
    let mut out = Vec::new();
    for mode in Mode::ALL {
        let instruments = ids(active.iter().filter(|(_, m)| *m == mode).map(|(i, _)| i));
        if !instruments.is_empty() {
            out.push(DhanCommand::Subscribe { mode, instruments });
        }
    }
    out
}

/// The wire diff for real changes (`from != to`): every unsubscribe of an old mode
/// first, then the subscribes of the new modes.
pub fn changes(changes: &[&UpstreamChange]) -> Vec<DhanCommand> {
    let mut out = Vec::new();
    for mode in Mode::ALL {
        let instruments = ids(changes
            .iter()
            .filter(|c| c.from == Some(mode))
            .map(|c| &c.instrument));
        if !instruments.is_empty() {
            out.push(DhanCommand::Unsubscribe { mode, instruments });
        }
    }
    for mode in Mode::ALL {
        let instruments = ids(changes
            .iter()
            .filter(|c| c.to == Some(mode))
            .map(|c| &c.instrument));
        if !instruments.is_empty() {
            out.push(DhanCommand::Subscribe { mode, instruments });
        }
    }
    out
}

fn ids<'a>(instruments: impl Iterator<Item = &'a Instrument>) -> Vec<(Segment, u32)> {
    instruments.map(|i| (i.segment, i.security_id)).collect()
}

#[cfg(test)]
mod tests {
    use crate::upstream::fixtures::{change, infy, nifty, reliance};

    use super::*;
    use DhanCommand::*;

    struct TestCase {
        name: &'static str,
        got: Vec<DhanCommand>,
        want: Vec<DhanCommand>,
    }

    #[test]
    fn command_plans() {
        let active = vec![
            (nifty(), Mode::Ltp),
            (reliance(), Mode::Full),
            (infy(), Mode::Ltp),
        ];
        let changed = [
            change(nifty(), Some(Mode::Ltp), Some(Mode::Full)),
            change(reliance(), Some(Mode::Quote), None),
            change(infy(), None, Some(Mode::Quote)),
        ];
        let cases = [
            TestCase {
                name: "replay: one subscribe per mode",
                got: replay(&active),
                want: vec![
                    Subscribe {
                        mode: Mode::Ltp,
                        instruments: vec![(Segment::IdxI, 13), (Segment::NseEq, 1594)],
                    },
                    Subscribe {
                        mode: Mode::Full,
                        instruments: vec![(Segment::NseEq, 2885)],
                    },
                ],
            },
            TestCase {
                name: "empty replay sends nothing",
                got: replay(&[]),
                want: vec![],
            },
            TestCase {
                name: "changes: unsubscribe old modes first",
                got: changes(&changed.iter().collect::<Vec<_>>()),
                want: vec![
                    Unsubscribe {
                        mode: Mode::Ltp,
                        instruments: vec![(Segment::IdxI, 13)],
                    },
                    Unsubscribe {
                        mode: Mode::Quote,
                        instruments: vec![(Segment::NseEq, 2885)],
                    },
                    Subscribe {
                        mode: Mode::Quote,
                        instruments: vec![(Segment::NseEq, 1594)],
                    },
                    Subscribe {
                        mode: Mode::Full,
                        instruments: vec![(Segment::IdxI, 13)],
                    },
                ],
            },
        ];
        for c in cases {
            assert_eq!(c.got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn encoding_batches_by_100() {
        let many: Vec<(Segment, u32)> = (1..=250).map(|id| (Segment::NseEq, id)).collect();
        let texts = Subscribe {
            mode: Mode::Quote,
            instruments: many.clone(),
        }
        .encode();
        assert_eq!(texts.len(), 3, "250 instruments in batches of at most 100");
        let mut seen = Vec::new();
        for text in &texts {
            let req = dhan::parse_request(text).expect("valid dhan request");
            assert_eq!(req.request_code, 17);
            assert!(req.instruments.len() <= dhan::MAX_INSTRUMENTS_PER_MESSAGE);
            seen.extend(req.instruments);
        }
        assert_eq!(seen, many);
        let unsub = Unsubscribe {
            mode: Mode::Full,
            instruments: vec![(Segment::IdxI, 13)],
        }
        .encode();
        assert_eq!(
            dhan::parse_request(&unsub[0]).map(|r| r.request_code),
            Ok(22)
        );
    }
}
