//! The latency the NATS hop adds between the feed leader and an edge: a tick encoded and
//! published on its instrument's subject (as the leader's publisher does) → received and
//! decoded by a subscriber on another connection (as an edge's uplink does), through a
//! real `nats-server` on loopback, at 1,000 ticks/s over 50 instruments for 10 s after a
//! 1 s warm-up. Prints p50/p90/p99/max. `make bench` runs it; `nats-server` comes from
//! `scripts/nats/install.sh`. The edge's own fan-out to its clients is the broadcaster's,
//! measured by the load run (docs/performance.md).

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use futures_util::StreamExt;
use mandi_cluster::codec;
use mandi_domain::{Mode, Tick};

const RATE_PER_S: u64 = 1_000;
const SYMBOLS: usize = 50;
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(10);

struct Server(Child, std::path::PathBuf);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn start_server() -> (Server, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let dir = std::env::temp_dir().join(format!("mandi-nats-bench-{}", std::process::id()));
    let child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server is not installed: run `bash scripts/nats/install.sh`");
    let server = Server(child, dir);
    let give_up = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < give_up,
            "nats-server did not start within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, port)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let (_server, port) = start_server();
    let url = format!("nats://127.0.0.1:{port}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let publisher = async_nats::connect(&url).await.expect("publisher connects");
        let edge = async_nats::connect(&url).await.expect("edge connects");
        let mut sub = edge
            .subscribe("$KV.bench_ticks.>")
            .await
            .expect("edge subscribes");
        edge.flush().await.expect("subscription registered");
        let receiver = tokio::spawn(async move {
            let mut hist = hdrhistogram::Histogram::<u64>::new(3).expect("histogram");
            let started = Instant::now();
            while let Some(msg) = sub.next().await {
                let wire = codec::decode(&msg.payload).expect("tick decodes");
                let lag = (Utc::now() - wire.published_at)
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(0) as u64;
                if started.elapsed() > WARM_UP {
                    hist.record(lag).expect("records");
                }
                if wire.tick.symbol.as_ref() == "END" {
                    break;
                }
            }
            hist
        });
        let symbols: Vec<String> = (0..SYMBOLS).map(|i| format!("SYM{i}")).collect();
        let mut every = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_S));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let start = Instant::now();
        let mut sent = 0u64;
        while start.elapsed() < WARM_UP + MEASURE {
            every.tick().await;
            let symbol = &symbols[sent as usize % SYMBOLS];
            let mut tick = Tick::empty(symbol.as_str().into(), Utc::now());
            tick.mode = Mode::Quote;
            tick.ltp = 100.0 + sent as f64 / 100.0;
            let payload = Bytes::from(codec::encode(Utc::now(), &tick));
            publisher
                .publish(format!("$KV.bench_ticks.{symbol}"), payload)
                .await
                .expect("published");
            sent += 1;
        }
        let end = Tick::empty("END".into(), Utc::now());
        publisher
            .publish("$KV.bench_ticks.END", Bytes::from(codec::encode(Utc::now(), &end)))
            .await
            .expect("published");
        publisher.flush().await.expect("flushed");
        let hist = receiver.await.expect("receiver");
        let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "nats_hop: {} ticks at {RATE_PER_S}/s over {SYMBOLS} subjects, publish → edge decode: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            hist.len(),
            ms(0.5),
            ms(0.9),
            ms(0.99),
            hist.max() as f64 / 1000.0
        );
    });
}
