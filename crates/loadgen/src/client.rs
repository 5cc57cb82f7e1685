//! The load clients: N tokio-tungstenite sockets on a target's `/ws`, each subscribing to every
//! symbol in full mode and logging, per tick, its latency (receive − send of that sequence
//! number), deliveries, ticks out of order, and how the socket ended. A `Stalled` client stops
//! reading once subscribed: the slow client of P8.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::clock::{RunClock, SendBook};
use crate::symbols::{self, INSTRUMENTS};
use crate::ticks::seq_of_frame;

/// Handshakes in flight at once, so 1,000 clients do not overflow the listen backlog.
const CONNECTS_IN_FLIGHT: usize = 64;
/// Per-read buffer of a client: enough for ~40 full-mode ticks per read, and 4× less
/// memory than tungstenite's 128 KiB default across 1,000 clients.
const CLIENT_READ_BUFFER: usize = 32 * 1024;
/// mandi writes this reply with `json!`, whose keys come out sorted: match anywhere.
const SUBSCRIBED: &str = r#""type":"subscribed""#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Reads everything as fast as it can.
    Reader,
    /// Reads until its subscription is confirmed, then never again.
    Stalled,
}

/// How a client's socket ended before the phase stopped it.
#[derive(Clone, Debug, PartialEq)]
pub struct Closed {
    pub at_ns: u64,
    /// The close code the server sent, if it sent a close frame.
    pub code: Option<u16>,
}

/// One client's log, shared between its task and the phase that reads it after each step.
#[derive(Debug, Default)]
pub struct ClientLog {
    pub behaviour: Option<Behaviour>,
    /// Its local port: finds the server's side of the connection in /proc/net/tcp.
    pub local_port: u16,
    /// The server confirmed the subscription.
    pub ready: bool,
    pub closed: Option<Closed>,
    /// Could not connect or complete the handshake.
    pub failed: Option<String>,
    /// Size of the last tick frame, bytes.
    pub frame_bytes: usize,
    /// Since the last `take_step`:
    pub samples_ns: Vec<u64>,
    pub delivered: u64,
    /// Ticks whose number was never sent in this phase (a tick from before it).
    pub stray: u64,
    /// Ticks older than one already received for the same symbol.
    pub reordered: u64,
    /// The same tick again (same symbol, same sequence number).
    pub duplicates: u64,
    /// When the last tick of the step arrived, `RunClock` ns.
    pub last_at_ns: u64,
    last_seq: [u64; INSTRUMENTS.len()],
}

/// What a step read from one client.
#[derive(Debug, Default)]
pub struct StepTake {
    pub samples_ns: Vec<u64>,
    pub delivered: u64,
    pub stray: u64,
    pub reordered: u64,
    pub duplicates: u64,
    pub last_at_ns: u64,
}

impl ClientLog {
    fn on_tick(&mut self, seq: u64, now_ns: u64, book: &SendBook, bytes: usize) {
        let Some(sent) = book.sent_at(seq) else {
            self.stray += 1;
            return;
        };
        let slot = symbols::slot_of(seq);
        if seq == self.last_seq[slot] {
            self.duplicates += 1;
            return;
        }
        if seq < self.last_seq[slot] {
            self.reordered += 1;
            return;
        }
        self.last_seq[slot] = seq;
        self.delivered += 1;
        self.last_at_ns = now_ns;
        self.frame_bytes = bytes;
        self.samples_ns.push(now_ns.saturating_sub(sent));
    }

    pub fn take_step(&mut self) -> StepTake {
        StepTake {
            samples_ns: std::mem::take(&mut self.samples_ns),
            delivered: std::mem::take(&mut self.delivered),
            stray: std::mem::take(&mut self.stray),
            reordered: std::mem::take(&mut self.reordered),
            duplicates: std::mem::take(&mut self.duplicates),
            last_at_ns: std::mem::take(&mut self.last_at_ns),
        }
    }

    pub fn is_measured(&self) -> bool {
        self.behaviour == Some(Behaviour::Reader)
    }
}

pub type SharedLog = Arc<Mutex<ClientLog>>;

/// Lock a log; a client task that panicked leaves a log that is still worth reading.
pub fn lock(log: &SharedLog) -> MutexGuard<'_, ClientLog> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// The clients of one target in one phase. Dropping the set aborts their tasks, which closes
/// their sockets.
pub struct ClientSet {
    pub logs: Vec<SharedLog>,
    tasks: Vec<JoinHandle<()>>,
}

impl ClientSet {
    /// Spawn one task per entry of `behaviours` on `runtime`, all on `url`.
    pub fn spawn(
        runtime: &Handle,
        url: &str,
        behaviours: &[Behaviour],
        clock: RunClock,
        book: Arc<SendBook>,
    ) -> ClientSet {
        let gate = Arc::new(Semaphore::new(CONNECTS_IN_FLIGHT));
        let mut logs = Vec::with_capacity(behaviours.len());
        let mut tasks = Vec::with_capacity(behaviours.len());
        for &behaviour in behaviours {
            let log = Arc::new(Mutex::new(ClientLog {
                behaviour: Some(behaviour),
                ..ClientLog::default()
            }));
            let client = Client {
                url: url.to_owned(),
                behaviour,
                log: log.clone(),
                clock,
                book: book.clone(),
            };
            tasks.push(runtime.spawn(client.run(gate.clone())));
            logs.push(log);
        }
        ClientSet { logs, tasks }
    }

    /// Wait until every client is subscribed or has failed; `Err` names how many are not.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (mut waiting, mut failed) = (0, Vec::new());
            for log in &self.logs {
                let log = lock(log);
                match (&log.failed, log.ready, &log.closed) {
                    (Some(why), _, _) => failed.push(why.clone()),
                    (None, false, Some(c)) => failed.push(format!("closed with {:?}", c.code)),
                    (None, false, None) => waiting += 1,
                    (None, true, _) => {}
                }
            }
            if !failed.is_empty() {
                return Err(format!(
                    "{} of {} clients failed, first: {}",
                    failed.len(),
                    self.logs.len(),
                    failed[0]
                ));
            }
            if waiting == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "{waiting} of {} clients not subscribed after {timeout:?}",
                    self.logs.len()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Deliveries since the last step, summed over the measured (reading) clients.
    pub fn delivered(&self) -> u64 {
        self.measured().map(|log| lock(log).delivered).sum()
    }

    pub fn measured(&self) -> impl Iterator<Item = &SharedLog> {
        self.logs.iter().filter(|log| lock(log).is_measured())
    }
}

impl Drop for ClientSet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Client {
    url: String,
    behaviour: Behaviour,
    log: SharedLog,
    clock: RunClock,
    book: Arc<SendBook>,
}

impl Client {
    async fn run(self, gate: Arc<Semaphore>) {
        let ws = {
            let _permit = gate.acquire().await;
            match self.connect().await {
                Ok(ws) => ws,
                Err(why) => {
                    lock(&self.log).failed = Some(why);
                    return;
                }
            }
        };
        self.read(ws).await;
    }

    async fn connect(&self) -> Result<tokio_tungstenite::WebSocketStream<TcpStream>, String> {
        let addr = self
            .url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("not a ws:// url: {}", self.url))?;
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        lock(&self.log).local_port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
        let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER);
        let (mut ws, _) =
            tokio_tungstenite::client_async_with_config(self.url.as_str(), stream, Some(config))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
        ws.send(Message::text(symbols::subscribe_all_full()))
            .await
            .map_err(|e| format!("subscribe: {e}"))?;
        Ok(ws)
    }

    async fn read(&self, mut ws: tokio_tungstenite::WebSocketStream<TcpStream>) {
        let code = loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    if let Some(seq) = seq_of_frame(&text) {
                        let now = self.clock.now_ns();
                        lock(&self.log).on_tick(seq, now, &self.book, text.len());
                    } else if text.contains(SUBSCRIBED) {
                        lock(&self.log).ready = true;
                        if self.behaviour == Behaviour::Stalled {
                            // Hold the socket open and never read it again; the phase
                            // aborts this task when it ends.
                            std::future::pending::<()>().await;
                        }
                    }
                }
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break None,
            }
        };
        lock(&self.log).closed = Some(Closed {
            at_ns: self.clock.now_ns(),
            code,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_counts_deliveries_strays_and_reorders() {
        let book = SendBook::with_capacity(20);
        for seq in 1..=15 {
            book.record(seq, 1_000);
        }
        let mut log = ClientLog::default();
        // 1 and 8 are the same symbol (7 rotate), so 8 after 1 is in order and 1 after 8 is not.
        for seq in [1, 2, 8, 1, 8, 19] {
            log.on_tick(seq, 5_000, &book, 700);
        }
        let take = log.take_step();
        assert_eq!(take.delivered, 3);
        assert_eq!(take.reordered, 1, "1 after 8");
        assert_eq!(take.duplicates, 1, "8 twice");
        assert_eq!(take.last_at_ns, 5_000);
        assert_eq!(take.stray, 1, "19 was never sent");
        assert_eq!(take.samples_ns, vec![4_000; 3]);
        assert_eq!(log.take_step().delivered, 0, "taking resets the step");
    }
}
