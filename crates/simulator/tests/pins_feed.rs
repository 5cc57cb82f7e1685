//! Quote pins seen over both feeds: every Dhan and Kite packet of a pinned stock and a
//! pinned option, in every mode, carries exactly the pinned prices and keeps coming;
//! releasing a pin hands the instrument back to its model.

mod common;

use std::collections::HashMap;

use common::pins::*;
use common::*;
use mandi_domain::{Mode, Segment};
use mandi_protocol::dhan::{decode_packet, subscribe_messages, DhanFull, DhanPacket};
use mandi_protocol::kite::{decode_frame, KiteFrame, KitePacket, KiteQuote, KiteRequest};
use serde_json::json;

/// How many packets of each kind per instrument prove the pin keeps ticking.
const ROUNDS: usize = 3;

async fn next_dhan(ws: &mut impl Ws) -> DhanPacket {
    let buf = next_binary(ws).await;
    let (packet, used) = decode_packet(&buf).expect("packet decodes");
    assert_eq!(used, buf.len(), "one packet per message");
    packet
}

async fn next_kite(ws: &mut impl Ws) -> Vec<KitePacket> {
    loop {
        match decode_frame(&next_binary(ws).await).expect("frame decodes") {
            KiteFrame::Heartbeat => continue,
            KiteFrame::Packets(p) => return p,
        }
    }
}

fn dhan_price(rupees: f64) -> f32 {
    rupees as f32
}

fn kite_price(rupees: f64, p: &KitePacket) -> u32 {
    (rupees * p.price_divisor()).round() as u32
}

fn check_dhan_full(name: &str, want: &Want, f: &DhanFull) {
    let best = f.depth[0];
    assert_eq!(
        (best.bid_price, best.ask_price),
        (dhan_price(want.bid), dhan_price(want.ask)),
        "{name}"
    );
    if let Some(qty) = want.bid_qty {
        assert_eq!(best.bid_qty, qty, "{name}");
    }
    if let Some(qty) = want.ask_qty {
        assert_eq!(best.ask_qty, qty, "{name}");
    }
    let levels: Vec<_> = f
        .depth
        .iter()
        .map(|d| {
            let px = |p: f32| f64::from(p);
            (px(d.bid_price), d.bid_qty, px(d.ask_price), d.ask_qty)
        })
        .collect();
    assert_book_behind(name, want, &levels);
}

#[actix_rt::test]
async fn dhan_packets_in_every_mode_carry_the_pins() {
    let sim = start_sim(fixed_day());
    let call = call_id(&sim).await;
    pin(&sim, pins_body()).await;
    let want: HashMap<u32, (&str, &Want)> = HashMap::from([
        (RELIANCE.1, ("RELIANCE", &RELIANCE_PIN)),
        (call, (CALL, &CALL_PIN)),
    ]);
    let mut ws = connect_ok(&dhan_ok_url(&sim)).await;
    for mode in [Mode::Ltp, Mode::Quote, Mode::Full] {
        for msg in subscribe_messages(mode, &[RELIANCE, (Segment::NseFno, call)]) {
            send_text(&mut ws, msg).await;
        }
    }
    let mut seen: HashMap<(u32, u8), usize> = HashMap::new();
    // One deadline over the whole wait: each read has its own, but reads that keep
    // succeeding while the pins do not tick must not loop forever.
    within("pinned packets in every mode", async {
        while seen.len() < 6 || seen.values().any(|&n| n < ROUNDS) {
            let packet = next_dhan(&mut ws).await;
            let id = packet.instrument().security_id;
            let Some(&(name, w)) = want.get(&id) else {
                panic!("a packet for {id}, which was not subscribed")
            };
            let ltp = match &packet {
                DhanPacket::Ticker(t) => t.ltp,
                DhanPacket::Quote(q) => q.ltp,
                DhanPacket::Full(f) => {
                    check_dhan_full(name, w, f);
                    f.ltp
                }
                _ => continue, // prev close and OI carry no price of the day
            };
            assert_eq!(ltp, dhan_price(w.ltp), "{name} code {}", packet.code());
            *seen.entry((id, packet.code())).or_default() += 1;
        }
    })
    .await;
    sim.stop().await;
}

fn check_kite_full(name: &str, want: &Want, p: &KitePacket, q: &KiteQuote) {
    let Some(extra) = q.extra else {
        panic!("{name}: a full packet has depth")
    };
    let (bid, ask) = (extra.buy[0], extra.sell[0]);
    assert_eq!(
        (bid.price, ask.price),
        (kite_price(want.bid, p), kite_price(want.ask, p)),
        "{name}"
    );
    if let Some(qty) = want.bid_qty {
        assert_eq!(bid.quantity, qty, "{name}");
    }
    if let Some(qty) = want.ask_qty {
        assert_eq!(ask.quantity, qty, "{name}");
    }
    let rupees = |wire: u32| f64::from(wire) / p.price_divisor();
    let levels: Vec<_> = extra
        .buy
        .iter()
        .zip(&extra.sell)
        .map(|(b, s)| (rupees(b.price), b.quantity, rupees(s.price), s.quantity))
        .collect();
    assert_book_behind(name, want, &levels);
    let now = chrono::Utc::now().timestamp();
    assert!(
        now.abs_diff(i64::from(extra.exchange_timestamp)) < 60,
        "{name}: a current exchange timestamp"
    );
}

#[actix_rt::test]
async fn kite_packets_in_every_mode_carry_the_pins() {
    let sim = start_sim(fixed_day());
    let call = nfo_token(call_id(&sim).await);
    pin(&sim, pins_body()).await;
    let want: HashMap<u32, (&str, &Want)> = HashMap::from([
        (RELIANCE_TOKEN, ("RELIANCE", &RELIANCE_PIN)),
        (call, (CALL, &CALL_PIN)),
    ]);
    let tokens = vec![RELIANCE_TOKEN, call];
    let mut ws = connect_ok(&kite_ok_url(&sim)).await;
    let subscribe = KiteRequest::Subscribe {
        tokens: tokens.clone(),
    };
    send_text(&mut ws, subscribe.to_json()).await;
    // Quote mode first (the subscription's default), then LTP, then full.
    for mode in [Mode::Quote, Mode::Ltp, Mode::Full] {
        if mode != Mode::Quote {
            let set = KiteRequest::SetMode {
                mode,
                tokens: tokens.clone(),
            };
            send_text(&mut ws, set.to_json()).await;
        }
        let mut seen: HashMap<u32, usize> = HashMap::new();
        // Heartbeats keep each read alive, so the whole wait gets the deadline.
        within("pinned packets", async {
            while seen.len() < 2 || seen.values().any(|&n| n < ROUNDS) {
                for p in next_kite(&mut ws).await {
                    if p.mode() != mode {
                        continue; // a tick in flight before the mode message landed
                    }
                    let Some(&(name, w)) = want.get(&p.token()) else {
                        panic!("a packet for {}, which was not subscribed", p.token())
                    };
                    let ltp = match &p {
                        KitePacket::Ltp(l) => l.last_price,
                        KitePacket::Quote(q) => {
                            if mode == Mode::Full {
                                check_kite_full(name, w, &p, q);
                            }
                            q.last_price
                        }
                        KitePacket::Index(_) => panic!("{name} is not an index"),
                    };
                    assert_eq!(ltp, kite_price(w.ltp, &p), "{name} {mode:?}");
                    *seen.entry(p.token()).or_default() += 1;
                }
            }
        })
        .await;
    }
    sim.stop().await;
}

/// Released, the stock walks on from its pin (no jump back to its start price) while
/// the option stays pinned; cleared, the option is priced by the model again.
#[actix_rt::test]
async fn released_pins_go_back_to_the_model() {
    let sim = start_sim(fixed_day());
    let call = call_id(&sim).await;
    pin(&sim, pins_body()).await;
    let mut ws = connect_ok(&dhan_ok_url(&sim)).await;
    for msg in subscribe_messages(Mode::Ltp, &[RELIANCE, (Segment::NseFno, call)]) {
        send_text(&mut ws, msg).await;
    }
    let ticker = |p: DhanPacket| match p {
        DhanPacket::Ticker(t) => Some((t.instrument.security_id, t.ltp)),
        _ => None,
    };

    let (status, left) = admin_quotes(&sim, "DELETE", "/RELIANCE", None).await;
    assert_eq!(status.as_u16(), 200, "{left}");
    assert_eq!(
        left,
        json!({ CALL: {"ltp": 5000.5, "bid": 5000.45, "ask": 5000.55} })
    );
    let walked = within("RELIANCE walking again", async {
        loop {
            let Some((id, ltp)) = ticker(next_dhan(&mut ws).await) else {
                continue;
            };
            if id == call {
                assert_eq!(ltp, dhan_price(CALL_PIN.ltp), "the call is still pinned");
            } else if ltp != dhan_price(RELIANCE_PIN.ltp) {
                return f64::from(ltp);
            }
        }
    })
    .await;
    assert!(
        (walked / RELIANCE_PIN.ltp - 1.0).abs() < 0.01,
        "walks on from the pin, not from the 1443.4 start: {walked}"
    );

    let (status, left) = admin_quotes(&sim, "DELETE", "", None).await;
    assert_eq!((status.as_u16(), left), (200, json!({})));
    let mut model_prices = Vec::new();
    within("the call priced by the model", async {
        while model_prices.len() < ROUNDS {
            match ticker(next_dhan(&mut ws).await) {
                Some((id, ltp)) if id == call && ltp != dhan_price(CALL_PIN.ltp) => {
                    model_prices.push(ltp)
                }
                _ => continue,
            }
        }
    })
    .await;
    assert!(
        model_prices.iter().all(|&p| p > 0.0 && p < 4_000.0),
        "priced from NIFTY again: {model_prices:?}"
    );
    let (_, now) = admin_quotes(&sim, "GET", "", None).await;
    assert_eq!(now, json!({}));
    sim.stop().await;
}
