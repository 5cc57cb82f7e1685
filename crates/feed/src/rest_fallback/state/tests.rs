//! `FallbackState` driven with explicit instants: takeover text, settings clamping, the
//! poll loop step by step, pauses and backoff, and a randomised check of the spacing.

use mandi_domain::{Exchange, Segment, TickSource};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::*;

const MS: Duration = Duration::from_millis(1);

fn inst(n: u32) -> Instrument {
    Instrument {
        symbol: format!("S{n:04}").into(),
        exchange: Exchange::Nse,
        segment: Segment::NseEq,
        security_id: n,
        kite_token: (n << 8) | 1,
        kite_key: format!("NSE:S{n:04}").into(),
        tick_size: 0.05,
        lot_size: 1,
        derivative: None,
    }
}

fn wall() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_770_090_000, 0).unwrap_or_default()
}

fn feed(state: FeedState, failures: u32, reason: Option<&str>) -> FeedStatusChanged {
    FeedStatusChanged {
        state,
        reason: reason.map(str::to_owned),
        consecutive_failures: failures,
        rest_refused: false,
        at: wall(),
    }
}

/// A state polling `n` instruments, taken over at `t0`.
fn polling(settings: RestFallbackSettings, n: u32, t0: Instant) -> FallbackState {
    let mut s = FallbackState::new(settings, Broker::Dhan, t0);
    let active: Vec<(Instrument, Mode)> = (1..=n).map(|i| (inst(i), Mode::Ltp)).collect();
    s.replace_set(&active);
    let event = s.on_feed_status(&feed(FeedState::LoginRequired, 1, None), t0);
    assert!(event.is_some_and(|e| e.active), "takes over");
    s
}

fn rows(n: usize) -> Converted {
    Converted {
        updates: (0..n)
            .map(|i| TickUpdate {
                symbol: format!("S{i:04}").into(),
                ltp: Some(1.0),
                source: TickSource::Rest,
                ..TickUpdate::default()
            })
            .collect(),
        ..Converted::default()
    }
}

fn refused(status: u16, code: &str) -> PollFailure {
    let body = format!(r#"{{"errorCode":"{code}","errorMessage":"no"}}"#);
    let err = mandi_protocol::dhan::rest::parse_quote_response(status, body.as_bytes());
    PollFailure::Broker(err.err().unwrap_or(RestError::BadBody {
        status,
        reason: "parsed".into(),
    }))
}

fn sent(d: PollDecision) -> Poll {
    match d {
        PollDecision::Send(p) => p,
        other => panic!("expected a request, got {other:?}"),
    }
}

#[test]
fn reasons_name_the_cause_and_the_rate() {
    let t0 = Instant::now();
    let mut s = FallbackState::new(RestFallbackSettings::default(), Broker::Dhan, t0);
    let on = s.on_feed_status(
        &feed(
            FeedState::LoginRequired,
            1,
            Some("dhan disconnect 807: access token expired"),
        ),
        t0,
    );
    assert_eq!(
        on.map(|e| (e.active, e.reason, e.at)),
        Some((
            true,
            "websocket down: dhan disconnect 807: access token expired — polling REST quotes at 1 request/s until the socket is back".to_string(),
            wall()
        ))
    );
    let off = s.on_feed_status(&feed(FeedState::Live, 0, None), t0 + MS);
    assert_eq!(
        off.map(|e| (e.active, e.reason)),
        Some((
            false,
            "websocket live again — REST polling stopped".to_string()
        ))
    );

    let slow = RestFallbackSettings {
        max_requests_per_s: 0.5,
        ..RestFallbackSettings::default()
    };
    let mut s = FallbackState::new(slow, Broker::Kite, t0);
    s.set_market_open(false);
    let on = s.on_feed_status(&feed(FeedState::Stopped, 1, Some("kite 403")), t0);
    assert_eq!(
        on.map(|e| e.reason),
        Some("websocket down: kite 403 — polling REST quotes at 0.5 requests/s until the socket is back (market closed: polling starts at the open)".to_string())
    );
}

#[test]
fn rate_is_clamped_to_the_broker_limit() {
    let cases = [
        ("default", 1.0, 1.0),
        ("above the limit", 5.0, 1.0),
        ("slower is honoured", 0.5, 0.5),
        ("zero means the default", 0.0, 1.0),
        ("negative", -1.0, 1.0),
        ("nan", f64::NAN, 1.0),
        ("infinite", f64::INFINITY, 1.0),
        ("absurdly slow", 0.0001, 0.01),
    ];
    for (name, configured, want) in cases {
        let s = RestFallbackSettings {
            max_requests_per_s: configured,
            ..RestFallbackSettings::default()
        };
        assert_eq!(s.effective_requests_per_s(), want, "{name}");
        assert!(s.base_interval() >= Duration::from_secs(1), "{name}");
    }
    assert_eq!(
        RestFallbackSettings::default().base_interval(),
        Duration::from_millis(1050)
    );
}

#[test]
fn poll_loop_step_by_step() {
    let t0 = Instant::now();
    let mut s = FallbackState::new(RestFallbackSettings::default(), Broker::Dhan, t0);
    s.replace_set(&[(inst(1), Mode::Ltp), (inst(2), Mode::Quote)]);
    assert_eq!(s.next_poll(t0), PollDecision::Idle, "not taken over");
    s.on_feed_status(&feed(FeedState::LoginRequired, 1, None), t0);

    let poll = sent(s.next_poll(t0));
    assert_eq!((poll.epoch, poll.batch.instruments.len()), (1, 2));
    assert_eq!(
        s.next_poll(t0 + 10 * MS),
        PollDecision::Idle,
        "one request at a time"
    );
    let out = s.on_answer(poll.epoch, Ok(rows(2)), t0 + 200 * MS, wall());
    assert_eq!((out.updates.len(), out.log), (2, None));
    assert_eq!(
        s.next_poll(t0 + 200 * MS),
        PollDecision::WaitUntil(t0 + 1250 * MS),
        "spaced from the previous answer"
    );
    let poll = sent(s.next_poll(t0 + 1250 * MS));
    s.on_answer(poll.epoch, Ok(rows(2)), t0 + 1300 * MS, wall());

    s.set_market_open(false);
    assert_eq!(
        s.next_poll(t0 + 5000 * MS),
        PollDecision::Idle,
        "market closed"
    );
    s.set_market_open(true);
    sent(s.next_poll(t0 + 5000 * MS));

    let status = s.status(t0 + 5000 * MS, wall());
    assert_eq!(
        (
            status.active,
            status.requests_total,
            status.instruments,
            status.interval_ms
        ),
        (true, 3, 2, 1050)
    );
    assert_eq!(status.last_success_at, Some(wall()));
}

#[test]
fn refused_credentials_pause_and_warn_once_per_episode() {
    let t0 = Instant::now();
    let mut s = polling(RestFallbackSettings::default(), 2, t0);
    let retry = Duration::from_secs(60);

    let poll = sent(s.next_poll(t0));
    let out = s.on_answer(
        poll.epoch,
        Err(refused(401, "DH-901")),
        t0 + 100 * MS,
        wall(),
    );
    match out.log {
        Some(LogLine::Paused { fix, retry_in, .. }) => {
            assert_eq!((fix, retry_in), (TOKEN_FIX, retry))
        }
        other => panic!("expected one pause warning, got {other:?}"),
    }
    assert_eq!(
        s.next_poll(t0 + 2000 * MS),
        PollDecision::WaitUntil(t0 + 100 * MS + retry)
    );
    let paused = s.status(t0 + 100 * MS, wall()).paused_until;
    assert_eq!(paused, Some(wall() + chrono::Duration::seconds(60)));

    let poll = sent(s.next_poll(t0 + 100 * MS + retry));
    let out = s.on_answer(
        poll.epoch,
        Err(refused(401, "DH-901")),
        t0 + retry * 2,
        wall(),
    );
    assert_eq!(out.log, None, "still the same episode: no second warning");

    let poll = sent(s.next_poll(t0 + retry * 3));
    s.on_answer(poll.epoch, Ok(rows(1)), t0 + retry * 3, wall());
    let poll = sent(s.next_poll(t0 + retry * 4));
    let out = s.on_answer(poll.epoch, Err(refused(401, "806")), t0 + retry * 4, wall());
    assert!(
        matches!(
            out.log,
            Some(LogLine::Paused {
                fix: ACCESS_FIX,
                ..
            })
        ),
        "a new episode warns again, with the data-plan fix: {:?}",
        out.log
    );
    assert_eq!(s.status(t0, wall()).requests_failed, 3);
}

#[test]
fn new_credentials_end_the_pause() {
    let t0 = Instant::now();
    let mut s = polling(RestFallbackSettings::default(), 1, t0);
    let poll = sent(s.next_poll(t0));
    s.on_answer(poll.epoch, Err(refused(401, "DH-901")), t0, wall());
    assert!(matches!(
        s.next_poll(t0 + 2000 * MS),
        PollDecision::WaitUntil(_)
    ));
    // The feed adopted a new token and is reconnecting: no longer LoginRequired.
    s.on_feed_status(
        &feed(FeedState::Reconnecting, 0, Some("new token")),
        t0 + 2000 * MS,
    );
    sent(s.next_poll(t0 + 2000 * MS));
}

#[test]
fn throttling_doubles_the_spacing_then_recovers() {
    let t0 = Instant::now();
    let mut s = polling(RestFallbackSettings::default(), 1, t0);
    let mut now = t0;
    let answers = (0..5)
        .map(|_| Err(refused(429, "DH-904")))
        .chain((0..4).map(|_| Ok(rows(1))));
    let mut got: Vec<(u64, bool)> = Vec::new();
    for answer in answers {
        let poll = sent(s.next_poll(now));
        let out = s.on_answer(poll.epoch, answer, now, wall());
        let interval = s.status(now, wall()).interval_ms;
        now += Duration::from_millis(interval);
        got.push((interval, out.log.is_some()));
    }
    assert_eq!(
        got,
        vec![
            (2100, true),
            (4200, false),
            (8400, false),
            (10_000, false),
            (10_000, false),
            (5000, false),
            (2500, false),
            (1250, false),
            (1050, false),
        ],
        "doubling capped at 10 s, logged at most once a minute; halving back to the base"
    );
}

#[test]
fn other_failures_are_logged_at_most_once_a_minute() {
    let t0 = Instant::now();
    let mut s = polling(RestFallbackSettings::default(), 1, t0);
    let mut logs = Vec::new();
    for second in [0_u64, 2, 4, 6, 61, 63] {
        let now = t0 + Duration::from_secs(second);
        let poll = sent(s.next_poll(now));
        let out = s.on_answer(
            poll.epoch,
            Err(PollFailure::Transport("connection refused".into())),
            now,
            wall(),
        );
        if let Some(LogLine::Failed { suppressed, .. }) = out.log {
            logs.push((second, suppressed));
        }
    }
    assert_eq!(logs, vec![(0, 0), (61, 3)]);
    assert_eq!(
        s.status(t0, wall()).last_error.as_deref(),
        Some("connection refused")
    );
}

#[test]
fn an_answer_from_an_earlier_takeover_is_dropped() {
    let t0 = Instant::now();
    let mut s = polling(RestFallbackSettings::default(), 2, t0);
    let old = sent(s.next_poll(t0));
    s.on_feed_status(&feed(FeedState::Live, 0, None), t0 + MS);
    s.on_feed_status(&feed(FeedState::LoginRequired, 1, None), t0 + 2 * MS);
    assert_eq!(
        s.next_poll(t0 + 2 * MS),
        PollDecision::Idle,
        "the old request is still out"
    );
    let out = s.on_answer(old.epoch, Ok(rows(2)), t0 + 3 * MS, wall());
    assert!(out.updates.is_empty(), "the socket was live in between");
    let new = sent(s.next_poll(t0 + 1053 * MS));
    assert_eq!(new.epoch, old.epoch + 1);
}

/// Random feeds, markets, latencies and answers: no request starts less than the base
/// interval after the previous one was answered (so never closer than that to its
/// start either), and never while another is out.
#[test]
fn requests_never_closer_than_the_interval() {
    let settings = RestFallbackSettings::default();
    let base = settings.base_interval();
    let t0 = Instant::now();
    for seed in 0..200_u64 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut s = FallbackState::new(settings.clone(), Broker::Dhan, t0);
        s.replace_set(&[(inst(1), Mode::Ltp), (inst(2), Mode::Full)]);
        let mut now = t0;
        let mut last_start: Option<Instant> = None;
        let mut last_answer: Option<Instant> = None;
        let mut out: Option<(Poll, Instant)> = None;
        let mut sends = 0;
        for _ in 0..500 {
            now += Duration::from_millis(rng.gen_range(0..400));
            match rng.gen_range(0..40) {
                0 => {
                    s.on_feed_status(&feed(FeedState::Live, 0, None), now);
                }
                1..=3 => {
                    s.on_feed_status(&feed(FeedState::LoginRequired, 1, None), now);
                }
                4 => s.set_market_open(rng.gen_bool(0.7)),
                _ => {}
            }
            if let Some((poll, due)) = out.take() {
                if now >= due {
                    let answer = match rng.gen_range(0..6) {
                        0 => Err(refused(429, "DH-904")),
                        1 => Err(PollFailure::Transport("timeout".into())),
                        2 => Err(refused(401, "DH-901")),
                        _ => Ok(rows(2)),
                    };
                    s.on_answer(poll.epoch, answer, now, wall());
                    last_answer = Some(now);
                } else {
                    out = Some((poll, due));
                }
            }
            if let PollDecision::Send(poll) = s.next_poll(now) {
                assert!(
                    out.is_none(),
                    "seed {seed}: a second request while one is out"
                );
                if let Some(prev) = last_start {
                    assert!(now - prev >= base, "seed {seed}: {:?} apart", now - prev);
                }
                if let Some(answered) = last_answer {
                    assert!(
                        now - answered >= base,
                        "seed {seed}: {:?} after an answer",
                        now - answered
                    );
                }
                last_start = Some(now);
                sends += 1;
                out = Some((poll, now + Duration::from_millis(rng.gen_range(1..3000))));
            }
        }
        assert!(sends > 0, "seed {seed}: never polled");
    }
}

#[test]
fn a_token_refused_over_rest_too_is_not_polled() {
    let t0 = Instant::now();
    let mut s = FallbackState::new(RestFallbackSettings::default(), Broker::Dhan, t0);
    let mut refused = feed(
        FeedState::LoginRequired,
        1,
        Some("dhan profile check: access token expired"),
    );
    refused.rest_refused = true;
    assert_eq!(s.on_feed_status(&refused, t0), None, "no takeover");
    assert!(!s.is_active());
    assert_eq!(
        s.check_down(t0 + std::time::Duration::from_secs(60), wall()),
        None,
        "not on time either"
    );
}

#[test]
fn a_refusal_is_announced_once_and_its_end_too() {
    let t0 = Instant::now();
    let mut s = polling(RestFallbackSettings::default(), 1, t0);
    let retry = Duration::from_secs(60);
    let poll = sent(s.next_poll(t0));
    let out = s.on_answer(poll.epoch, Err(refused(401, "DH-901")), t0, wall());
    let event = out.status.expect("the first refusal is announced");
    assert!(event.active, "still the fallback in charge: {event:?}");
    assert!(event.refused.is_some(), "names the refusal: {event:?}");
    assert!(s.status(t0, wall()).refused.is_some());

    let poll = sent(s.next_poll(t0 + retry));
    let out = s.on_answer(poll.epoch, Err(refused(401, "DH-901")), t0 + retry, wall());
    assert_eq!(out.status, None, "a second refusal changes nothing");

    let poll = sent(s.next_poll(t0 + retry * 2));
    let out = s.on_answer(poll.epoch, Ok(rows(1)), t0 + retry * 2, wall());
    let event = out.status.expect("serving again is announced");
    assert_eq!(event.refused, None);
    let poll = sent(s.next_poll(t0 + retry * 3));
    let out = s.on_answer(poll.epoch, Ok(rows(1)), t0 + retry * 3, wall());
    assert_eq!(out.status, None, "success after success changes nothing");
}
