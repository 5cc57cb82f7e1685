//! What Dhan's feed is told (protocols.md A2): subscriptions are per mode, so a replay is
//! one subscribe per mode and a mode change is an unsubscribe of the old mode plus a
//! subscribe of the new one. The protocol crate's helpers batch by 100; `messages`
//! batches by the configured size and says what each frame leaves on the socket.

use mandi_domain::{Instrument, Mode, Segment};
use mandi_protocol::dhan;

use crate::upstream::UpstreamChange;
use crate::upstream::UpstreamMessage;

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
    plan(changes)
        .into_iter()
        .map(|(step, instruments)| step.command(&instruments))
        .collect()
}

/// [`changes`] as frames of at most `per_message` instruments (≤ 100), each with the
/// mode it leaves its instruments in on the socket (`None` after an unsubscribe).
pub fn messages(changes: &[&UpstreamChange], per_message: usize) -> Vec<UpstreamMessage> {
    let mut out = Vec::new();
    for (step, instruments) in plan(changes) {
        for chunk in instruments.chunks(per_message.max(1)) {
            let carries: Vec<(Instrument, Option<Mode>)> =
                chunk.iter().map(|i| ((*i).clone(), step.after())).collect();
            for text in step.command(chunk).encode() {
                out.push(UpstreamMessage {
                    text,
                    carries: carries.clone(),
                });
            }
        }
    }
    out
}

/// One request of a plan: (un)subscribe in a mode.
#[derive(Clone, Copy)]
struct Step {
    subscribe: bool,
    mode: Mode,
}

impl Step {
    fn command(self, instruments: &[&Instrument]) -> DhanCommand {
        let (mode, instruments) = (self.mode, ids(instruments.iter().copied()));
        if self.subscribe {
            DhanCommand::Subscribe { mode, instruments }
        } else {
            DhanCommand::Unsubscribe { mode, instruments }
        }
    }

    fn after(self) -> Option<Mode> {
        self.subscribe.then_some(self.mode)
    }
}

/// Unsubscribes of every old mode, then subscribes of every new one; empty steps left out.
fn plan<'a>(changes: &[&'a UpstreamChange]) -> Vec<(Step, Vec<&'a Instrument>)> {
    let mut out = Vec::new();
    for subscribe in [false, true] {
        for mode in Mode::ALL {
            let instruments: Vec<&Instrument> = changes
                .iter()
                .filter(|c| if subscribe { c.to } else { c.from } == Some(mode))
                .map(|c| &c.instrument)
                .collect();
            if !instruments.is_empty() {
                out.push((Step { subscribe, mode }, instruments));
            }
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
    fn messages_batch_and_say_what_they_leave_on_the_socket() {
        let many: Vec<UpstreamChange> = (1..=150)
            .map(|n| {
                let i = Instrument {
                    security_id: n,
                    ..infy()
                };
                change(i, None, Some(Mode::Ltp))
            })
            .chain([change(nifty(), Some(Mode::Quote), Some(Mode::Full))])
            .collect();
        let refs: Vec<&UpstreamChange> = many.iter().collect();
        let got = messages(&refs, 100);
        let shape: Vec<(u8, usize, Option<Mode>)> = got
            .iter()
            .map(|m| {
                let req = dhan::parse_request(&m.text).expect("valid dhan request");
                assert_eq!(req.instruments.len(), m.carries.len());
                (req.request_code, m.carries.len(), m.carries[0].1)
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (18, 1, None),
                (15, 100, Some(Mode::Ltp)),
                (15, 50, Some(Mode::Ltp)),
                (21, 1, Some(Mode::Full)),
            ]
        );
        let small = messages(&refs, 40);
        assert_eq!(small.len(), 1 + 4 + 1, "150 in fours of at most 40");
        assert!(small.iter().all(|m| m.carries.len() <= 40));
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
