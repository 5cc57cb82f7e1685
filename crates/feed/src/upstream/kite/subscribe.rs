//! What Kite's ticker is told (protocols.md B2): subscribe by token, then set the mode
//! per group (a bare subscribe means `quote`). Each request is chunked so no message
//! carries more tokens than one connection may.

use mandi_domain::{Instrument, Mode};
use mandi_protocol::kite::KiteRequest;

use super::connect::LIMITS;
use crate::upstream::UpstreamChange;
use crate::upstream::UpstreamMessage;

/// One logical Kite request; `encode` may split it into several messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KiteCommand {
    Subscribe { tokens: Vec<u32> },
    Unsubscribe { tokens: Vec<u32> },
    SetMode { mode: Mode, tokens: Vec<u32> },
}

impl KiteCommand {
    /// The text frames to send, chunked by `LIMITS.per_message`.
    pub fn encode(&self) -> Vec<String> {
        match self {
            KiteCommand::Subscribe { tokens } => {
                chunks(tokens, |tokens| KiteRequest::Subscribe { tokens })
            }
            KiteCommand::Unsubscribe { tokens } => {
                chunks(tokens, |tokens| KiteRequest::Unsubscribe { tokens })
            }
            KiteCommand::SetMode { mode, tokens } => {
                chunks(tokens, |tokens| KiteRequest::SetMode {
                    mode: *mode,
                    tokens,
                })
            }
        }
    }
}

/// Everything in `active`, for a fresh socket: one subscribe, then a mode message per
/// mode group.
pub fn replay(active: &[(Instrument, Mode)]) -> Vec<KiteCommand> {
    let fresh: Vec<UpstreamChange> = active
        .iter()
        .map(|(instrument, mode)| UpstreamChange {
            instrument: instrument.clone(),
            from: None,
            to: Some(*mode),
        })
        .collect();
    changes(&fresh.iter().collect::<Vec<_>>())
}

/// The wire diff for real changes (`from != to`): unsubscribe the gone, subscribe the
/// new, then set the modes of everything that has one now.
pub fn changes(changes: &[&UpstreamChange]) -> Vec<KiteCommand> {
    plan(changes)
        .into_iter()
        .map(|(step, instruments)| step.command(tokens(&instruments)))
        .collect()
}

/// [`changes`] as frames of at most `per_message` tokens, each with the mode it leaves
/// its instruments in on the socket: a bare subscribe streams in `quote` (B2) until the
/// mode message that follows it is sent.
pub fn messages(changes: &[&UpstreamChange], per_message: usize) -> Vec<UpstreamMessage> {
    let mut out = Vec::new();
    for (step, instruments) in plan(changes) {
        for chunk in instruments.chunks(per_message.max(1)) {
            out.push(UpstreamMessage {
                text: KiteRequest::from(step.command(tokens(chunk))).to_json(),
                carries: chunk.iter().map(|i| ((*i).clone(), step.after())).collect(),
            });
        }
    }
    out
}

/// One request of a plan.
#[derive(Clone, Copy)]
enum Step {
    Unsubscribe,
    Subscribe,
    SetMode(Mode),
}

impl Step {
    fn command(self, tokens: Vec<u32>) -> KiteCommand {
        match self {
            Step::Unsubscribe => KiteCommand::Unsubscribe { tokens },
            Step::Subscribe => KiteCommand::Subscribe { tokens },
            Step::SetMode(mode) => KiteCommand::SetMode { mode, tokens },
        }
    }

    fn after(self) -> Option<Mode> {
        match self {
            Step::Unsubscribe => None,
            Step::Subscribe => Some(Mode::Quote),
            Step::SetMode(mode) => Some(mode),
        }
    }
}

impl From<KiteCommand> for KiteRequest {
    fn from(command: KiteCommand) -> KiteRequest {
        match command {
            KiteCommand::Subscribe { tokens } => KiteRequest::Subscribe { tokens },
            KiteCommand::Unsubscribe { tokens } => KiteRequest::Unsubscribe { tokens },
            KiteCommand::SetMode { mode, tokens } => KiteRequest::SetMode { mode, tokens },
        }
    }
}

/// Unsubscribe the gone, subscribe the new, then a mode per group of everything that has
/// one now; empty steps left out.
fn plan<'a>(changes: &[&'a UpstreamChange]) -> Vec<(Step, Vec<&'a Instrument>)> {
    let pick = |keep: &dyn Fn(&UpstreamChange) -> bool| -> Vec<&'a Instrument> {
        changes
            .iter()
            .filter(|c| keep(c))
            .map(|c| &c.instrument)
            .collect()
    };
    let mut out = vec![
        (Step::Unsubscribe, pick(&|c| c.to.is_none())),
        (
            Step::Subscribe,
            pick(&|c| c.from.is_none() && c.to.is_some()),
        ),
    ];
    for mode in Mode::ALL {
        out.push((Step::SetMode(mode), pick(&|c| c.to == Some(mode))));
    }
    out.retain(|(_, instruments)| !instruments.is_empty());
    out
}

fn tokens(instruments: &[&Instrument]) -> Vec<u32> {
    instruments.iter().map(|i| i.kite_token).collect()
}

fn chunks(tokens: &[u32], request: impl Fn(Vec<u32>) -> KiteRequest) -> Vec<String> {
    tokens
        .chunks(LIMITS.per_message)
        .map(|chunk| request(chunk.to_vec()).to_json())
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::upstream::fixtures::{change, infy, nifty, reliance};

    use super::*;
    use KiteCommand::*;

    struct TestCase {
        name: &'static str,
        got: Vec<KiteCommand>,
        want: Vec<KiteCommand>,
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
                name: "replay: subscribe all, then a mode per group",
                got: replay(&active),
                want: vec![
                    Subscribe {
                        tokens: vec![256_265, 738_561, 408_065],
                    },
                    SetMode {
                        mode: Mode::Ltp,
                        tokens: vec![256_265, 408_065],
                    },
                    SetMode {
                        mode: Mode::Full,
                        tokens: vec![738_561],
                    },
                ],
            },
            TestCase {
                name: "empty replay sends nothing",
                got: replay(&[]),
                want: vec![],
            },
            TestCase {
                name: "changes: unsubscribe, subscribe new, set modes",
                got: changes(&changed.iter().collect::<Vec<_>>()),
                want: vec![
                    Unsubscribe {
                        tokens: vec![738_561],
                    },
                    Subscribe {
                        tokens: vec![408_065],
                    },
                    SetMode {
                        mode: Mode::Quote,
                        tokens: vec![408_065],
                    },
                    SetMode {
                        mode: Mode::Full,
                        tokens: vec![256_265],
                    },
                ],
            },
        ];
        for c in cases {
            assert_eq!(c.got, c.want, "{}", c.name);
        }
    }

    /// (token, mode after) of each instrument a message names.
    type Carries = Vec<(u32, Option<Mode>)>;

    #[test]
    fn messages_say_a_new_token_streams_in_quote_until_its_mode_is_set() {
        let changed = [
            change(nifty(), None, Some(Mode::Full)),
            change(reliance(), Some(Mode::Ltp), None),
            change(infy(), Some(Mode::Ltp), Some(Mode::Quote)),
        ];
        let got = messages(&changed.iter().collect::<Vec<_>>(), 3000);
        let shape: Vec<(KiteRequest, Carries)> = got
            .iter()
            .map(|m| {
                let carries = m.carries.iter().map(|(i, m)| (i.kite_token, *m)).collect();
                (
                    KiteRequest::parse(&m.text).expect("valid kite request"),
                    carries,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    KiteRequest::Unsubscribe {
                        tokens: vec![738_561]
                    },
                    vec![(738_561, None)]
                ),
                (
                    KiteRequest::Subscribe {
                        tokens: vec![256_265]
                    },
                    vec![(256_265, Some(Mode::Quote))]
                ),
                (
                    KiteRequest::SetMode {
                        mode: Mode::Quote,
                        tokens: vec![408_065]
                    },
                    vec![(408_065, Some(Mode::Quote))]
                ),
                (
                    KiteRequest::SetMode {
                        mode: Mode::Full,
                        tokens: vec![256_265]
                    },
                    vec![(256_265, Some(Mode::Full))]
                ),
            ]
        );
    }

    #[test]
    fn encoding_chunks_by_a_connections_worth() {
        let tokens: Vec<u32> = (1..=3001).collect();
        let texts = SetMode {
            mode: Mode::Full,
            tokens: tokens.clone(),
        }
        .encode();
        assert_eq!(texts.len(), 2, "chunked by 3000");
        let parsed: Vec<KiteRequest> = texts
            .iter()
            .map(|t| KiteRequest::parse(t).expect("valid kite request"))
            .collect();
        assert_eq!(
            parsed[1],
            KiteRequest::SetMode {
                mode: Mode::Full,
                tokens: vec![3001]
            }
        );
        let sub = Subscribe {
            tokens: vec![408_065],
        }
        .encode();
        assert_eq!(
            KiteRequest::parse(&sub[0]),
            Ok(KiteRequest::Subscribe {
                tokens: vec![408_065]
            })
        );
    }
}
