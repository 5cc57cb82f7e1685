//! P7: memory per idle client. 1,000 clients connect and subscribe and then nothing flows.
//! mandi's share is its own RSS growth. The reference lives in this process, so its share is
//! this process's growth with reference clients minus its growth with the same number of
//! mandi clients (the client side alone); both sets stay open so no freed memory is reused.

use std::sync::Arc;
use std::time::Duration;

use crate::bench::Bench;
use crate::client::{Behaviour, ClientSet};
use crate::clock::SendBook;
use crate::mandi::MandiProcess;
use crate::procfs::rss_kib;

use super::{ScenarioReport, Summary};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(bench: &Bench, mandi: Option<&MandiProcess>) -> anyhow::Result<ScenarioReport> {
    let quick = bench.opts.quick;
    let n = if quick { 100 } else { 1000 };
    // Sessions finish their start-up work (snapshot, status frames) before RSS is read.
    let settle = Duration::from_millis(if quick { 300 } else { 1500 });
    let book = Arc::new(SendBook::with_capacity(0));
    let idle = vec![Behaviour::Reader; n];
    let own = || rss_kib("self").unwrap_or(0) as f64;
    let per_client = |kib: f64| kib * 1024.0 / n as f64;
    tokio::time::sleep(settle).await;

    let mut notes = Vec::new();
    let mut held = Vec::new();
    let (mut mandi_per, mut client_side_per) = (None, None);
    let self_before = own();
    if let Some(m) = mandi {
        let pid = m.pid.to_string();
        let before = rss_kib(&pid).unwrap_or(0) as f64;
        let set = ClientSet::spawn(bench.clients(), &m.ws_url, &idle, bench.clock, book.clone());
        set.wait_ready(READY_TIMEOUT)
            .await
            .map_err(anyhow::Error::msg)?;
        tokio::time::sleep(settle).await;
        let after = rss_kib(&pid).unwrap_or(0) as f64;
        mandi_per = Some(per_client(after - before));
        client_side_per = Some(per_client(own() - self_before));
        notes.push(format!(
            "mandi RSS {:.1} → {:.1} MiB with {n} idle clients",
            before / 1024.0,
            after / 1024.0
        ));
        held.push(set);
    }
    let self_mid = own();
    let set = ClientSet::spawn(
        bench.clients(),
        &bench.reference.url,
        &idle,
        bench.clock,
        book,
    );
    set.wait_ready(READY_TIMEOUT)
        .await
        .map_err(anyhow::Error::msg)?;
    tokio::time::sleep(settle).await;
    let with_reference = per_client(own() - self_mid);
    held.push(set);
    let reference_per = client_side_per.map(|c| (with_reference - c).max(0.0));
    match client_side_per {
        Some(c) => notes.push(format!(
            "load clients' own memory: {:.0} B each; reference server + clients: {with_reference:.0} B each",
            c
        )),
        None => notes.push(format!(
            "reference server and its clients together: {with_reference:.0} B per client (no mandi run to separate the client side)"
        )),
    }
    Ok(ScenarioReport {
        name: "p7-idle-memory".into(),
        title: format!(
            "P7 memory per idle client: {n} clients subscribed to every symbol, no ticks"
        ),
        target: "≤ 32 KB RSS per idle client".into(),
        rows: Vec::new(),
        summary: vec![Summary::new(
            "RSS per idle client",
            "bytes",
            mandi_per,
            reference_per,
        )],
        notes,
    })
}
