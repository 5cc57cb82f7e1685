//! Fixture files (hex text under `tests/fixtures/`) decoded and compared field by field,
//! so the raw payloads in the type docs stay true.

use mandi_protocol::dhan::{
    self, DhanDepthLevel, DhanDisconnect, DhanDisconnectReason, DhanFull, DhanInstrument,
    DhanPacket, DhanTicker,
};
use mandi_protocol::hex::from_hex;
use mandi_protocol::kite::{self, KiteFrame, KitePacket};

/// Hex bytes with `#` comments and whitespace stripped.
fn load(text: &str) -> Vec<u8> {
    let digits: String = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .collect();
    from_hex(&digits).expect("fixture is valid hex")
}

fn decode_one(bytes: &[u8]) -> DhanPacket {
    let (packet, used) = dhan::decode_packet(bytes).expect("fixture decodes");
    assert_eq!(used, bytes.len(), "fixture is exactly one packet");
    assert_eq!(packet.encode(), bytes, "re-encoding gives the fixture back");
    packet
}

#[test]
fn dhan_ticker_fixture() {
    let bytes = load(include_str!("fixtures/dhan_ticker.hex"));
    let want = DhanPacket::Ticker(DhanTicker {
        instrument: DhanInstrument {
            segment: 1,
            security_id: 1333,
        },
        ltp: 1642.35,
        ltt: 1_718_343_000,
    });
    assert_eq!(decode_one(&bytes), want);
    // The same bytes as the example in `DhanTicker`'s doc comment.
    assert_eq!(
        mandi_protocol::hex::to_hex(&bytes),
        "0210000135050000334bcd4458d56b66"
    );
}

#[test]
fn dhan_full_fixture() {
    let bytes = load(include_str!("fixtures/dhan_full.hex"));
    let level = |i: u16| DhanDepthLevel {
        bid_qty: 1000 + 75 * u32::from(i),
        ask_qty: 2000 + 75 * u32::from(i),
        bid_orders: 10 + i,
        ask_orders: 20 + i,
        bid_price: (245.45 - f64::from(i) * 0.05) as f32,
        ask_price: (245.55 + f64::from(i) * 0.05) as f32,
    };
    let want = DhanPacket::Full(DhanFull {
        instrument: DhanInstrument {
            segment: 2,
            security_id: 52175,
        },
        ltp: 245.5,
        ltq: 75,
        ltt: 1_718_343_000,
        atp: 244.8,
        volume: 1_234_567,
        total_sell_qty: 50_000,
        total_buy_qty: 60_000,
        oi: 987_654,
        oi_day_high: 1_000_000,
        oi_day_low: 900_000,
        open: 240.0,
        close: 243.25,
        high: 250.0,
        low: 238.5,
        depth: [level(0), level(1), level(2), level(3), level(4)],
    });
    assert_eq!(decode_one(&bytes), want);
}

#[test]
fn dhan_disconnect_fixture() {
    let bytes = load(include_str!("fixtures/dhan_disconnect_807.hex"));
    let DhanPacket::Disconnect(d) = decode_one(&bytes) else {
        panic!("expected a disconnect packet");
    };
    assert_eq!(
        d,
        DhanDisconnect {
            instrument: DhanInstrument {
                segment: 0,
                security_id: 0
            },
            reason: 807
        }
    );
    assert_eq!(d.reason_kind(), DhanDisconnectReason::TokenExpired);
    assert!(d.reason_kind().is_auth());
}

/// Checks a bare Kite packet body both alone and wrapped in a one-packet frame.
fn decode_kite(body: &[u8]) -> KitePacket {
    let packet = kite::decode_packet(body).expect("fixture decodes");
    assert_eq!(packet.encode(), body, "re-encoding gives the fixture back");
    let frame = kite::encode_frame(&[packet]);
    assert_eq!(
        kite::decode_frame(&frame),
        Ok(KiteFrame::Packets(vec![packet]))
    );
    packet
}

#[test]
fn kite_quote_fixture_matches_official_mock_values() {
    let bytes = load(include_str!("fixtures/kite_quote.hex"));
    assert_eq!(
        mandi_protocol::hex::to_hex(&bytes[..8]),
        "00063a0100026683",
        "doc example"
    );
    let KitePacket::Quote(q) = decode_kite(&bytes) else {
        panic!("44 bytes is a quote packet");
    };
    assert_eq!(q.token, 408_065);
    assert_eq!(q.extra, None);
    let d = kite::price_divisor(q.token);
    let prices = [
        q.last_price,
        q.average_price,
        q.open,
        q.high,
        q.low,
        q.close,
    ]
    .map(|p| f64::from(p) / d);
    assert_eq!(prices, [1573.15, 1570.33, 1569.15, 1575.0, 1561.05, 1567.8]);
    assert_eq!((q.last_quantity, q.volume), (1, 1_175_986));
    assert_eq!((q.buy_quantity, q.sell_quantity), (256_511, 360_503));
}

#[test]
fn kite_full_fixture_matches_official_mock_values() {
    let bytes = load(include_str!("fixtures/kite_full.hex"));
    let packet = decode_kite(&bytes);
    assert_eq!(packet.mode(), mandi_domain::Mode::Full);
    let KitePacket::Quote(q) = packet else {
        panic!("184 bytes is a full packet");
    };
    let x = q.extra.expect("full packet has the extra block");
    assert_eq!(f64::from(q.last_price) / 100.0, 1573.7);
    assert_eq!(
        (x.last_trade_time, x.exchange_timestamp),
        (1_625_461_887, 1_625_461_887)
    );
    assert_eq!((x.oi, x.oi_day_high, x.oi_day_low), (0, 0, 0));
    let side = |entries: [kite::KiteDepthEntry; 5]| {
        entries.map(|e| (f64::from(e.price) / 100.0, e.quantity, e.orders))
    };
    assert_eq!(
        side(x.buy),
        [
            (1573.4, 5, 1),
            (1573.0, 140, 2),
            (1572.95, 2, 1),
            (1572.9, 219, 7),
            (1572.85, 50, 1)
        ]
    );
    assert_eq!(
        side(x.sell),
        [
            (1573.7, 172, 3),
            (1573.75, 44, 3),
            (1573.85, 302, 3),
            (1573.9, 141, 2),
            (1573.95, 724, 5)
        ]
    );
}
