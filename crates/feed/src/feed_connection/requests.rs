//! What to send upstream for a replay or a set of changes: a plan of commands, grouped
//! by mode and kept in a fixed order, then encoded with the broker's own JSON helpers.

use mandi_domain::{Instrument, Mode, Segment};
use mandi_protocol::{dhan, kite};

use super::messages::UpstreamChange;
use crate::settings::Broker;

/// Kite accepts this many tokens on one connection, so no message needs more.
pub const KITE_TOKENS_PER_MESSAGE: usize = kite::MAX_TOKENS_PER_CONNECTION;

/// One logical request to the broker; `encode` may split it into several messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamCommand {
    DhanSubscribe {
        mode: Mode,
        instruments: Vec<(Segment, u32)>,
    },
    DhanUnsubscribe {
        mode: Mode,
        instruments: Vec<(Segment, u32)>,
    },
    KiteSubscribe {
        tokens: Vec<u32>,
    },
    KiteUnsubscribe {
        tokens: Vec<u32>,
    },
    KiteMode {
        mode: Mode,
        tokens: Vec<u32>,
    },
}

impl UpstreamCommand {
    /// The text frames to send: Dhan batched by 100 (by the protocol helper), Kite
    /// chunked by [`KITE_TOKENS_PER_MESSAGE`].
    pub fn encode(&self) -> Vec<String> {
        match self {
            UpstreamCommand::DhanSubscribe { mode, instruments } => {
                dhan::subscribe_messages(*mode, instruments)
            }
            UpstreamCommand::DhanUnsubscribe { mode, instruments } => {
                dhan::unsubscribe_messages(*mode, instruments)
            }
            UpstreamCommand::KiteSubscribe { tokens } => {
                kite_chunks(tokens, |tokens| kite::KiteRequest::Subscribe { tokens })
            }
            UpstreamCommand::KiteUnsubscribe { tokens } => {
                kite_chunks(tokens, |tokens| kite::KiteRequest::Unsubscribe { tokens })
            }
            UpstreamCommand::KiteMode { mode, tokens } => {
                kite_chunks(tokens, |tokens| kite::KiteRequest::SetMode {
                    mode: *mode,
                    tokens,
                })
            }
        }
    }
}

/// Everything in `active`, for a fresh socket: Dhan one subscribe per mode; Kite one
/// subscribe, then a mode message per mode group (subscribe alone means `quote`).
pub fn replay_commands(broker: Broker, active: &[(Instrument, Mode)]) -> Vec<UpstreamCommand> {
    let mut out = Vec::new();
    match broker {
        Broker::Dhan => {
            for mode in Mode::ALL {
                let instruments =
                    dhan_ids(active.iter().filter(|(_, m)| *m == mode).map(|(i, _)| i));
                if !instruments.is_empty() {
                    out.push(UpstreamCommand::DhanSubscribe { mode, instruments });
                }
            }
        }
        Broker::Kite => {
            let tokens: Vec<u32> = active.iter().map(|(i, _)| i.kite_token).collect();
            if !tokens.is_empty() {
                out.push(UpstreamCommand::KiteSubscribe { tokens });
            }
            push_kite_modes(&mut out, active.iter().map(|(i, m)| (i, Some(*m))));
        }
    }
    out
}

/// The wire diff for registry changes. Dhan subscriptions are per mode, so a mode
/// change is an unsubscribe of the old mode and a subscribe of the new one; all
/// unsubscribes go first. Kite: unsubscribe, subscribe the new, then set modes.
pub fn change_commands(broker: Broker, changes: &[UpstreamChange]) -> Vec<UpstreamCommand> {
    let changes: Vec<&UpstreamChange> = changes.iter().filter(|c| c.from != c.to).collect();
    let mut out = Vec::new();
    match broker {
        Broker::Dhan => {
            for mode in Mode::ALL {
                let instruments = dhan_ids(
                    changes
                        .iter()
                        .filter(|c| c.from == Some(mode))
                        .map(|c| &c.instrument),
                );
                if !instruments.is_empty() {
                    out.push(UpstreamCommand::DhanUnsubscribe { mode, instruments });
                }
            }
            for mode in Mode::ALL {
                let instruments = dhan_ids(
                    changes
                        .iter()
                        .filter(|c| c.to == Some(mode))
                        .map(|c| &c.instrument),
                );
                if !instruments.is_empty() {
                    out.push(UpstreamCommand::DhanSubscribe { mode, instruments });
                }
            }
        }
        Broker::Kite => {
            let gone: Vec<u32> = changes
                .iter()
                .filter(|c| c.to.is_none())
                .map(|c| c.instrument.kite_token)
                .collect();
            if !gone.is_empty() {
                out.push(UpstreamCommand::KiteUnsubscribe { tokens: gone });
            }
            let new: Vec<u32> = changes
                .iter()
                .filter(|c| c.from.is_none() && c.to.is_some())
                .map(|c| c.instrument.kite_token)
                .collect();
            if !new.is_empty() {
                out.push(UpstreamCommand::KiteSubscribe { tokens: new });
            }
            push_kite_modes(&mut out, changes.iter().map(|c| (&c.instrument, c.to)));
        }
    }
    out
}

fn dhan_ids<'a>(instruments: impl Iterator<Item = &'a Instrument>) -> Vec<(Segment, u32)> {
    instruments.map(|i| (i.segment, i.security_id)).collect()
}

fn push_kite_modes<'a>(
    out: &mut Vec<UpstreamCommand>,
    items: impl Iterator<Item = (&'a Instrument, Option<Mode>)> + Clone,
) {
    for mode in Mode::ALL {
        let tokens: Vec<u32> = items
            .clone()
            .filter(|(_, m)| *m == Some(mode))
            .map(|(i, _)| i.kite_token)
            .collect();
        if !tokens.is_empty() {
            out.push(UpstreamCommand::KiteMode { mode, tokens });
        }
    }
}

fn kite_chunks(tokens: &[u32], request: impl Fn(Vec<u32>) -> kite::KiteRequest) -> Vec<String> {
    tokens
        .chunks(KITE_TOKENS_PER_MESSAGE)
        .map(|chunk| request(chunk.to_vec()).to_json())
        .collect()
}

#[cfg(test)]
mod tests {
    use mandi_domain::Exchange;

    use super::*;
    use UpstreamCommand::*;

    fn inst(symbol: &str, segment: Segment, id: u32, token: u32) -> Instrument {
        Instrument {
            symbol: symbol.into(),
            exchange: Exchange::Nse,
            segment,
            security_id: id,
            kite_token: token,
            kite_key: format!("NSE:{symbol}").into(),
            tick_size: 0.05,
            lot_size: 1,
            derivative: None,
        }
    }

    fn nifty() -> Instrument {
        inst("NIFTY", Segment::IdxI, 13, 256_265)
    }
    fn reliance() -> Instrument {
        inst("RELIANCE", Segment::NseEq, 2885, 738_561)
    }
    fn infy() -> Instrument {
        inst("INFY", Segment::NseEq, 1594, 408_065)
    }

    fn change(i: Instrument, from: Option<Mode>, to: Option<Mode>) -> UpstreamChange {
        UpstreamChange {
            instrument: i,
            from,
            to,
        }
    }

    struct TestCase {
        name: &'static str,
        got: Vec<UpstreamCommand>,
        want: Vec<UpstreamCommand>,
    }

    #[test]
    fn command_plans() {
        let active = vec![
            (nifty(), Mode::Ltp),
            (reliance(), Mode::Full),
            (infy(), Mode::Ltp),
        ];
        let changes = vec![
            change(nifty(), Some(Mode::Ltp), Some(Mode::Full)),
            change(reliance(), Some(Mode::Quote), None),
            change(infy(), None, Some(Mode::Quote)),
        ];
        let cases = [
            TestCase {
                name: "dhan replay: one subscribe per mode",
                got: replay_commands(Broker::Dhan, &active),
                want: vec![
                    DhanSubscribe {
                        mode: Mode::Ltp,
                        instruments: vec![(Segment::IdxI, 13), (Segment::NseEq, 1594)],
                    },
                    DhanSubscribe {
                        mode: Mode::Full,
                        instruments: vec![(Segment::NseEq, 2885)],
                    },
                ],
            },
            TestCase {
                name: "kite replay: subscribe all, then a mode per group",
                got: replay_commands(Broker::Kite, &active),
                want: vec![
                    KiteSubscribe {
                        tokens: vec![256_265, 738_561, 408_065],
                    },
                    KiteMode {
                        mode: Mode::Ltp,
                        tokens: vec![256_265, 408_065],
                    },
                    KiteMode {
                        mode: Mode::Full,
                        tokens: vec![738_561],
                    },
                ],
            },
            TestCase {
                name: "empty replay sends nothing",
                got: replay_commands(Broker::Kite, &[]),
                want: vec![],
            },
            TestCase {
                name: "dhan changes: unsubscribe old modes first",
                got: change_commands(Broker::Dhan, &changes),
                want: vec![
                    DhanUnsubscribe {
                        mode: Mode::Ltp,
                        instruments: vec![(Segment::IdxI, 13)],
                    },
                    DhanUnsubscribe {
                        mode: Mode::Quote,
                        instruments: vec![(Segment::NseEq, 2885)],
                    },
                    DhanSubscribe {
                        mode: Mode::Quote,
                        instruments: vec![(Segment::NseEq, 1594)],
                    },
                    DhanSubscribe {
                        mode: Mode::Full,
                        instruments: vec![(Segment::IdxI, 13)],
                    },
                ],
            },
            TestCase {
                name: "kite changes: unsubscribe, subscribe new, set modes",
                got: change_commands(Broker::Kite, &changes),
                want: vec![
                    KiteUnsubscribe {
                        tokens: vec![738_561],
                    },
                    KiteSubscribe {
                        tokens: vec![408_065],
                    },
                    KiteMode {
                        mode: Mode::Quote,
                        tokens: vec![408_065],
                    },
                    KiteMode {
                        mode: Mode::Full,
                        tokens: vec![256_265],
                    },
                ],
            },
            TestCase {
                name: "no-op change sends nothing",
                got: change_commands(
                    Broker::Dhan,
                    &[change(nifty(), Some(Mode::Ltp), Some(Mode::Ltp))],
                ),
                want: vec![],
            },
        ];
        for c in cases {
            assert_eq!(c.got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn encoding_batches_within_broker_limits() {
        let many: Vec<(Segment, u32)> = (1..=250).map(|id| (Segment::NseEq, id)).collect();
        let texts = DhanSubscribe {
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
        let unsub = DhanUnsubscribe {
            mode: Mode::Full,
            instruments: vec![(Segment::IdxI, 13)],
        }
        .encode();
        assert_eq!(
            dhan::parse_request(&unsub[0]).map(|r| r.request_code),
            Ok(22)
        );

        let tokens: Vec<u32> = (1..=3001).collect();
        let texts = KiteMode {
            mode: Mode::Full,
            tokens: tokens.clone(),
        }
        .encode();
        assert_eq!(texts.len(), 2, "chunked by 3000");
        let parsed: Vec<kite::KiteRequest> = texts
            .iter()
            .map(|t| kite::KiteRequest::parse(t).expect("valid kite request"))
            .collect();
        assert_eq!(
            parsed[1],
            kite::KiteRequest::SetMode {
                mode: Mode::Full,
                tokens: vec![3001]
            }
        );
        let sub = KiteSubscribe {
            tokens: vec![408_065],
        }
        .encode();
        assert_eq!(
            kite::KiteRequest::parse(&sub[0]),
            Ok(kite::KiteRequest::Subscribe {
                tokens: vec![408_065]
            })
        );
    }
}
