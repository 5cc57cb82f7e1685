//! What Kite's ticker is told (protocols.md B2): subscribe by token, then set the mode
//! per group (a bare subscribe means `quote`). Each request is chunked so no message
//! carries more tokens than one connection may.

use mandi_domain::{Instrument, Mode};
use mandi_protocol::kite::KiteRequest;

use super::connect::LIMITS;
use crate::feed_connection::messages::UpstreamChange;

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
    let mut out = Vec::new();
    let tokens: Vec<u32> = active.iter().map(|(i, _)| i.kite_token).collect();
    if !tokens.is_empty() {
        out.push(KiteCommand::Subscribe { tokens });
    }
    push_modes(&mut out, active.iter().map(|(i, m)| (i, Some(*m))));
    out
}

/// The wire diff for real changes (`from != to`): unsubscribe the gone, subscribe the
/// new, then set the modes of everything that has one now.
pub fn changes(changes: &[&UpstreamChange]) -> Vec<KiteCommand> {
    let mut out = Vec::new();
    let gone: Vec<u32> = changes
        .iter()
        .filter(|c| c.to.is_none())
        .map(|c| c.instrument.kite_token)
        .collect();
    if !gone.is_empty() {
        out.push(KiteCommand::Unsubscribe { tokens: gone });
    }
    let new: Vec<u32> = changes
        .iter()
        .filter(|c| c.from.is_none() && c.to.is_some())
        .map(|c| c.instrument.kite_token)
        .collect();
    if !new.is_empty() {
        out.push(KiteCommand::Subscribe { tokens: new });
    }
    push_modes(&mut out, changes.iter().map(|c| (&c.instrument, c.to)));
    out
}

fn push_modes<'a>(
    out: &mut Vec<KiteCommand>,
    items: impl Iterator<Item = (&'a Instrument, Option<Mode>)> + Clone,
) {
    for mode in Mode::ALL {
        let tokens: Vec<u32> = items
            .clone()
            .filter(|(_, m)| *m == Some(mode))
            .map(|(i, _)| i.kite_token)
            .collect();
        if !tokens.is_empty() {
            out.push(KiteCommand::SetMode { mode, tokens });
        }
    }
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
