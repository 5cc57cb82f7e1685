//! A runnable simulator with the default universe and development credentials
//! (Dhan `1000000001` / `sim-dhan-token`, Kite `sim_api_key` / `sim-kite-token`).
//!
//! `cargo run -p mandi-simulator --example serve -- [PORT]`; port 0 (the default) picks
//! a free one. Prints `listening 127.0.0.1:PORT` once serving; stops on Ctrl-C.
//! Logs go to stderr, filtered by `RUST_LOG` (default `info`).

use std::io::Write;
use std::net::TcpListener;

use mandi_simulator::SimSettings;

#[actix_rt::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let port = match std::env::args().nth(1) {
        Some(arg) => arg.parse::<u16>().map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("bad port {arg:?}: {e}"),
            )
        })?,
        None => 0,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let sim = mandi_simulator::start(SimSettings::default(), listener)?;
    let mut out = std::io::stdout();
    writeln!(out, "listening {}", sim.addr())?;
    out.flush()?;
    actix_rt::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
