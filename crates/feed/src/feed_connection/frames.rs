//! The inbound side of the socket: every frame refreshes liveness; binary frames are
//! decoded and converted by the broker's module and sent on as one `TicksReceived`; pings
//! get pongs; a close, an error or the end of the stream goes to `fail`.

use std::time::Instant;

use actix::prelude::SendError;
use actix::{AsyncContext, Context, StreamHandler};
use awc::error::WsProtocolError;
use awc::ws;
use chrono::{DateTime, Utc};
use mandi_domain::TickUpdate;
use mandi_recording::{Record, RecordKind};

use super::messages::TicksReceived;
use super::FeedConnection;
use crate::upstream::{self, Conversion, Skipped};
use crate::upstream::{Failure, FailureKind};

/// Most updates held for one `TicksReceived`: a Kite frame of 3000 packets goes out on its
/// own; small frames are batched up to this.
const MAX_UPDATES_PER_MESSAGE: usize = 512;

impl FeedConnection {
    pub(super) fn on_binary(
        &mut self,
        bytes: &[u8],
        received_time: DateTime<Utc>,
        ctx: &mut Context<Self>,
    ) {
        let broker = self.settings.broker;
        let mut updates = std::mem::take(&mut self.pending);
        let queued_before = updates.len();
        let mut packets = 0u64;
        // One lock per frame, not per packet; a master swap applies from the next frame.
        let index = self.index.load();
        let end = upstream::decode_frame(broker, bytes, &index, received_time, |conversion| {
            packets += 1;
            self.collect(conversion, &mut updates);
        });
        if let Some(e) = end.undecodable {
            self.decode_error(e.kind, &e.message, bytes.len());
        }
        self.state.data_seen(packets, Instant::now());
        if updates.len() > queued_before && self.pending_since.is_none() {
            self.pending_since = Some(received_time);
        }
        self.pending = updates;
        self.hold_ticks(ctx);
        if let Some(mut failure) = end.disconnect {
            if failure.kind == FailureKind::TooManyInstruments {
                // Which connection, and how full it was, is the operator's first question.
                failure.reason = format!(
                    "{} (upstream shard {} carried {} instruments)",
                    failure.reason,
                    self.shard,
                    self.state.carried()
                );
            }
            self.fail(failure, ctx);
        }
    }

    fn fail_closed(&mut self, detail: String, ctx: &mut Context<Self>) {
        let quiet = self.state.quiet_since_connect(Instant::now());
        self.fail(upstream::closed(self.settings.broker, detail, quiet), ctx);
    }

    fn collect(&mut self, conversion: Conversion, updates: &mut Vec<TickUpdate>) {
        match conversion {
            Ok(Some(u)) => updates.push(u),
            Ok(None) => {}
            Err(Skipped::UnknownInstrument) => self.state.unknown_instrument(),
            Err(Skipped::BadPrice) => self.state.rejected_price(),
        }
    }

    /// The frames of one read go to the price store together: actix hands a stream's
    /// items to the actor up to 16 at a time, then runs the context's queued items, so a
    /// `FlushTicks` queued now runs right after this turn's frames. A burst costs the
    /// price store, the broadcaster and the trading actors one message each, not one per
    /// frame; a lone frame goes out as soon as the stream has nothing more.
    fn hold_ticks(&mut self, ctx: &mut Context<Self>) {
        if self.pending.len() >= MAX_UPDATES_PER_MESSAGE {
            self.flush_ticks();
        } else if !self.pending.is_empty() && !self.flush_scheduled {
            self.flush_scheduled = true;
            ctx.notify(FlushTicks);
        }
    }

    /// Send what the frames read so far carried.
    pub(super) fn flush_ticks(&mut self) {
        let updates = std::mem::take(&mut self.pending);
        if let Some(since) = self.pending_since.take() {
            self.emit(updates, since);
        }
    }

    fn emit(&mut self, updates: Vec<TickUpdate>, received_time: DateTime<Utc>) {
        if updates.is_empty() {
            return;
        }
        // try_send, never do_send: do_send ignores the mailbox bound and would let a
        // slow price store grow our memory without limit. A full mailbox drops this
        // frame and counts it; that is acceptable because prices are conflated
        // snapshots, so the next frame for an instrument supersedes the lost one.
        if let Err(e) = self.ticks.try_send(TicksReceived {
            updates,
            received_time,
        }) {
            if let Some(held_back) = self.state.frame_dropped(Instant::now()) {
                let why = match e {
                    SendError::Full(_) => "price store mailbox full",
                    SendError::Closed(_) => "price store gone",
                };
                tracing::warn!(
                    broker = self.broker(),
                    why,
                    held_back,
                    "dropped an upstream frame"
                );
            }
        }
    }

    /// Count a frame we could not read; warn at most once a minute. Never fatal: one
    /// bad frame says nothing about the next.
    fn decode_error(&mut self, kind: &'static str, error: &dyn std::fmt::Display, len: usize) {
        if let Some(held_back) = self.state.decode_error(Instant::now()) {
            tracing::warn!(
                broker = self.broker(),
                kind,
                error = %error,
                frame_bytes = len,
                held_back,
                "undecodable upstream frame (counted; connection kept)"
            );
        }
    }

    /// A copy of the frame to the recorder, before it is decoded: the recording holds
    /// what the broker sent, decodable or not. `Bytes` clones share the buffer.
    fn record(&self, kind: RecordKind, bytes: &bytes::Bytes, received_time: DateTime<Utc>) {
        if let Some(recorder) = &self.recorder {
            recorder.record(Record {
                received_ns: received_time.timestamp_nanos_opt().unwrap_or_default(),
                connection: self.shard as u16,
                kind,
                payload: bytes.clone(),
            });
        }
    }

    fn on_text(&mut self, text: &[u8]) {
        upstream::text_frame(self.settings.broker, &String::from_utf8_lossy(text));
    }
}

/// The end of a turn's frames: send their updates on.
#[derive(actix::Message)]
#[rtype(result = "()")]
pub(super) struct FlushTicks;

impl actix::Handler<FlushTicks> for FeedConnection {
    type Result = ();

    fn handle(&mut self, _: FlushTicks, _: &mut Context<Self>) {
        self.flush_scheduled = false;
        self.flush_ticks();
    }
}

impl StreamHandler<Result<ws::Frame, WsProtocolError>> for FeedConnection {
    fn handle(&mut self, item: Result<ws::Frame, WsProtocolError>, ctx: &mut Context<Self>) {
        if !self.state.is_live() {
            return; // leftovers of a socket already being torn down
        }
        let received_time = Utc::now();
        self.state.frame_seen(Instant::now(), received_time);
        match item {
            Ok(ws::Frame::Binary(bytes)) => {
                self.state.data_frame();
                self.record(RecordKind::Binary, &bytes, received_time);
                self.on_binary(&bytes, received_time, ctx);
            }
            Ok(ws::Frame::Text(text)) => {
                self.state.data_frame();
                self.record(RecordKind::Text, &text, received_time);
                self.on_text(&text);
            }
            Ok(ws::Frame::Ping(payload)) => {
                self.write(ws::Message::Pong(payload));
            }
            Ok(ws::Frame::Pong(_)) => {}
            Ok(ws::Frame::Close(reason)) => {
                let reason = match reason {
                    Some(r) => format!(
                        "upstream sent close {} {}",
                        u16::from(r.code),
                        r.description.unwrap_or_default()
                    ),
                    None => "upstream sent close".to_owned(),
                };
                self.fail_closed(reason.trim_end().to_owned(), ctx);
            }
            // Reassembly needs actix-http's `Item`, which awc does not re-export; brokers
            // send whole messages, so a fragment is counted like any undecodable frame.
            Ok(ws::Frame::Continuation(_)) => {
                self.decode_error("fragmented", &"fragmented websocket message", 0);
            }
            Err(e) => self.fail(
                Failure::network(format!("websocket protocol error: {e}")),
                ctx,
            ),
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        self.fail_closed("upstream closed the socket".to_owned(), ctx);
    }
}
