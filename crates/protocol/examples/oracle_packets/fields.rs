//! Our decoding of each message, printed as JSON under the Python clients' key names.

use std::fmt::Write as _;

use mandi_protocol::dhan::{self, DhanInstrument, DhanPacket};
use mandi_protocol::hex::to_hex;
use mandi_protocol::kite::{self, KiteDepthEntry, KiteFrame, KitePacket};

/// A JSON number that Python's `json` reads back as the same float: `{:e}` is the shortest
/// round-trip form, and NaN/Infinity are the tokens Python accepts.
fn num(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        format!("{x:e}")
    }
}

fn f(x: f32) -> String {
    num(f64::from(x))
}

/// `{"k":v,...}` from already-encoded values.
fn obj(fields: &[(&str, String)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in fields.iter().enumerate() {
        let _ = write!(out, "{}\"{k}\":{v}", if i > 0 { "," } else { "" });
    }
    out.push('}');
    out
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(","))
}

fn s(text: &str) -> String {
    format!("\"{text}\"")
}

fn line(broker: &str, kind: &str, bytes: &[u8], fields: String) -> String {
    format!(
        "{}\n",
        obj(&[
            ("broker", s(broker)),
            ("kind", s(kind)),
            ("hex", s(&to_hex(bytes))),
            ("fields", fields)
        ])
    )
}

pub fn dhan_line(bytes: &[u8]) -> String {
    let packet = match dhan::decode_packet(bytes) {
        Ok((packet, _)) => packet,
        Err(e) => return line("dhan", "error", bytes, obj(&[("error", s(&e.to_string()))])),
    };
    let head = |kind: &str, i: &DhanInstrument| {
        vec![
            ("type", s(kind)),
            ("exchange_segment", i.segment.to_string()),
            ("security_id", i.security_id.to_string()),
        ]
    };
    let (kind, fields) = match packet {
        DhanPacket::Ticker(p) => {
            let mut v = head("Ticker Data", &p.instrument);
            v.extend([("LTP", f(p.ltp)), ("LTT", p.ltt.to_string())]);
            ("ticker", v)
        }
        DhanPacket::PrevClose(p) => {
            let mut v = head("Previous Close", &p.instrument);
            v.extend([
                ("prev_close", f(p.prev_close)),
                ("prev_OI", p.prev_oi.to_string()),
            ]);
            ("prev_close", v)
        }
        DhanPacket::Quote(p) => {
            let mut v = head("Quote Data", &p.instrument);
            v.extend([
                ("LTP", f(p.ltp)),
                ("LTQ", p.ltq.to_string()),
                ("LTT", p.ltt.to_string()),
                ("avg_price", f(p.atp)),
                ("volume", p.volume.to_string()),
                ("total_sell_quantity", p.total_sell_qty.to_string()),
                ("total_buy_quantity", p.total_buy_qty.to_string()),
                ("open", f(p.open)),
                ("close", f(p.close)),
                ("high", f(p.high)),
                ("low", f(p.low)),
            ]);
            ("quote", v)
        }
        DhanPacket::Oi(p) => {
            let mut v = head("OI Data", &p.instrument);
            v.push(("OI", p.oi.to_string()));
            ("oi", v)
        }
        DhanPacket::Full(p) => {
            let mut v = head("Full Data", &p.instrument);
            v.extend([
                ("LTP", f(p.ltp)),
                ("LTQ", p.ltq.to_string()),
                ("LTT", p.ltt.to_string()),
                ("avg_price", f(p.atp)),
                ("volume", p.volume.to_string()),
                ("total_sell_quantity", p.total_sell_qty.to_string()),
                ("total_buy_quantity", p.total_buy_qty.to_string()),
                ("OI", p.oi.to_string()),
                ("oi_day_high", p.oi_day_high.to_string()),
                ("oi_day_low", p.oi_day_low.to_string()),
                ("open", f(p.open)),
                ("close", f(p.close)),
                ("high", f(p.high)),
                ("low", f(p.low)),
            ]);
            let depth = p.depth.iter().map(|l| {
                obj(&[
                    ("bid_quantity", l.bid_qty.to_string()),
                    ("ask_quantity", l.ask_qty.to_string()),
                    ("bid_orders", l.bid_orders.to_string()),
                    ("ask_orders", l.ask_orders.to_string()),
                    ("bid_price", f(l.bid_price)),
                    ("ask_price", f(l.ask_price)),
                ])
            });
            v.push(("depth", list(depth)));
            ("full", v)
        }
        DhanPacket::MarketStatus(i) => ("market_status", head("Market Status", &i)),
        DhanPacket::Disconnect(p) => {
            let mut v = head("Disconnect", &p.instrument);
            v.push(("reason", p.reason.to_string()));
            ("disconnect", v)
        }
    };
    line("dhan", kind, bytes, obj(&fields))
}

pub fn kite_line(bytes: &[u8]) -> String {
    let packets = match kite::decode_frame(bytes) {
        Ok(KiteFrame::Heartbeat) => return line("kite", "heartbeat", bytes, list([])),
        Ok(KiteFrame::Packets(packets)) => packets,
        Err(e) => return line("kite", "error", bytes, obj(&[("error", s(&e.to_string()))])),
    };
    let kinds: Vec<String> = packets
        .iter()
        .map(|p| {
            format!(
                "{}{}",
                if matches!(p, KitePacket::Index(_)) {
                    "index_"
                } else {
                    ""
                },
                p.mode().as_str()
            )
        })
        .collect();
    let kind = if kinds.is_empty() {
        "empty".to_owned()
    } else {
        kinds.join("+")
    };
    line("kite", &kind, bytes, list(packets.iter().map(kite_fields)))
}

fn kite_fields(packet: &KitePacket) -> String {
    let d = packet.price_divisor();
    let price = |raw: u32| f64::from(raw) / d;
    // Same operation order as the Python client, so the floats are identical.
    let change = |last: u32, close: u32| {
        if close == 0 {
            0.0
        } else {
            (price(last) - price(close)) * 100.0 / price(close)
        }
    };
    let mut v = vec![
        ("tradable", packet.tradable().to_string()),
        ("mode", s(packet.mode().as_str())),
        ("instrument_token", packet.token().to_string()),
    ];
    match packet {
        KitePacket::Ltp(p) => v.push(("last_price", num(price(p.last_price)))),
        KitePacket::Index(p) => {
            v.push(("last_price", num(price(p.last_price))));
            let ohlc = obj(&[
                ("high", num(price(p.high))),
                ("low", num(price(p.low))),
                ("open", num(price(p.open))),
                ("close", num(price(p.close))),
            ]);
            v.push(("ohlc", ohlc));
            v.push(("change", num(change(p.last_price, p.close))));
            if let Some(ts) = p.exchange_timestamp {
                v.push(("exchange_timestamp", ts.to_string()));
            }
        }
        KitePacket::Quote(p) => {
            v.extend([
                ("last_price", num(price(p.last_price))),
                ("last_traded_quantity", p.last_quantity.to_string()),
                ("average_traded_price", num(price(p.average_price))),
                ("volume_traded", p.volume.to_string()),
                ("total_buy_quantity", p.buy_quantity.to_string()),
                ("total_sell_quantity", p.sell_quantity.to_string()),
            ]);
            let ohlc = obj(&[
                ("open", num(price(p.open))),
                ("high", num(price(p.high))),
                ("low", num(price(p.low))),
                ("close", num(price(p.close))),
            ]);
            v.push(("ohlc", ohlc));
            v.push(("change", num(change(p.last_price, p.close))));
            if let Some(x) = &p.extra {
                v.extend([
                    ("last_trade_time", x.last_trade_time.to_string()),
                    ("oi", x.oi.to_string()),
                    ("oi_day_high", x.oi_day_high.to_string()),
                    ("oi_day_low", x.oi_day_low.to_string()),
                    ("exchange_timestamp", x.exchange_timestamp.to_string()),
                ]);
                let side = |entries: &[KiteDepthEntry; 5]| {
                    list(entries.iter().map(|e| {
                        obj(&[
                            ("quantity", e.quantity.to_string()),
                            ("price", num(price(e.price))),
                            ("orders", e.orders.to_string()),
                        ])
                    }))
                };
                v.push((
                    "depth",
                    obj(&[("buy", side(&x.buy)), ("sell", side(&x.sell))]),
                ));
            }
        }
    }
    obj(&v)
}
