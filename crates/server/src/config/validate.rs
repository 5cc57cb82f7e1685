//! Checks that serde cannot express: ranges, URLs, cross-references. Each failure names
//! the key, what is wrong, and what would be valid.

use std::collections::HashSet;

use mandi_domain::Segment;
use mandi_instruments::MAX_ROLL_DAYS;

use super::schema::{InstrumentEntry, MandiConfig};
use super::ConfigError;

/// The longest retry floor accepted, in milliseconds (one hour).
const MAX_RETRY_FLOOR_MS: u64 = 3_600_000;

pub fn validate(cfg: &MandiConfig) -> Result<(), ConfigError> {
    cfg.cluster.validate()?;
    super::access::check_origin_list("server.cors_origins", &cfg.server.cors_origins)?;
    super::access::check_origin_list("server.allowed_origins", &cfg.server.allowed_origins)?;
    if !(1..=720).contains(&cfg.server.session_ttl_hours) {
        return Err(ConfigError::new(
            "server.session_ttl_hours",
            format!("{} hours is out of range", cfg.server.session_ttl_hours),
            "use 1 to 720 (12 is the default: one trading day)",
        ));
    }
    let up = &cfg.upstream;
    if !matches!(up.broker.as_str(), "dhan" | "kite") {
        return Err(ConfigError::new(
            "upstream.broker",
            format!("\"{}\" is not a supported broker", up.broker),
            "use \"dhan\" or \"kite\"",
        ));
    }
    for (key, value, schemes) in [
        ("upstream.ws_url", &up.ws_url, ["ws", "wss"]),
        ("upstream.rest_url", &up.rest_url, ["http", "https"]),
    ] {
        if value.is_empty() {
            continue;
        }
        match url::Url::parse(value) {
            Ok(u) if schemes.contains(&u.scheme()) => {}
            _ => {
                return Err(ConfigError::new(
                    key,
                    format!("\"{value}\" is not a {}:// or {}:// URL", schemes[0], schemes[1]),
                    "give a full URL such as wss://api-feed.dhan.co, or leave it empty for the broker's own",
                ))
            }
        }
    }
    positive("upstream.connect_timeout_ms", up.connect_timeout_ms)?;
    positive("upstream.backoff_initial_ms", up.backoff_initial_ms)?;
    if up.backoff_max_ms < up.backoff_initial_ms {
        return Err(ConfigError::new(
            "upstream.backoff_max_ms",
            format!(
                "{} is below backoff_initial_ms {}",
                up.backoff_max_ms, up.backoff_initial_ms
            ),
            "set it at least as large as upstream.backoff_initial_ms (60000 is typical)",
        ));
    }
    if !(up.backoff_factor >= 1.0 && up.backoff_factor <= 10.0) {
        return Err(ConfigError::new(
            "upstream.backoff_factor",
            format!("{} is out of range", up.backoff_factor),
            "use a number from 1.0 to 10.0 (2.0 doubles the delay each attempt)",
        ));
    }
    // A floor past an hour would leave a feed down most of a session after one refusal.
    for (key, value) in [
        ("upstream.auth_retry_floor_ms", up.auth_retry_floor_ms),
        (
            "upstream.throttled_retry_floor_ms",
            up.throttled_retry_floor_ms,
        ),
        ("upstream.fatal_retry_floor_ms", up.fatal_retry_floor_ms),
    ] {
        if value > MAX_RETRY_FLOOR_MS {
            return Err(ConfigError::new(
                key,
                format!("{value} ms is more than an hour"),
                "use 0 to 3600000 (it is capped by upstream.backoff_max_ms anyway, except after a wait the broker asked for)",
            ));
        }
    }
    let limits = mandi_feed::upstream::subscribe_limits(cfg.broker());
    for (key, value, most, what) in [
        (
            "upstream.max_connections",
            up.max_connections,
            limits.connections,
            "connections",
        ),
        (
            "upstream.max_instruments_per_connection",
            up.max_instruments_per_connection,
            limits.per_connection,
            "instruments per connection",
        ),
    ] {
        if value > most {
            return Err(ConfigError::new(
                key,
                format!("{value} is more than {} allows ({most} {what})", up.broker),
                format!("use 1 to {most}, or 0 for the broker's maximum"),
            ));
        }
    }
    if !(1..=10_000).contains(&up.subscribe_flush_ms) {
        return Err(ConfigError::new(
            "upstream.subscribe_flush_ms",
            format!("{} ms is out of range", up.subscribe_flush_ms),
            "use 1 to 10000 (100 is the default: changes within 100 ms cancel out)",
        ));
    }
    if !(1..=100).contains(&up.max_subscribe_messages_per_s) {
        return Err(ConfigError::new(
            "upstream.max_subscribe_messages_per_s",
            format!("{} is out of range", up.max_subscribe_messages_per_s),
            "use 1 to 100 messages a second per connection (10 is the default)",
        ));
    }
    let sim = &cfg.simulator;
    positive("simulator.tick_interval_ms", sim.tick_interval_ms)?;
    positive(
        "simulator.kite_heartbeat_interval_ms",
        sim.kite_heartbeat_interval_ms,
    )?;
    positive("simulator.dhan_ping_interval_ms", sim.dhan_ping_interval_ms)?;
    for (key, retired) in [
        ("simulator.volatility", sim.volatility),
        (
            "simulator.option_volatility_annual",
            sim.option_volatility_annual,
        ),
    ] {
        if retired.is_some() {
            return Err(ConfigError::new(
                key,
                "is no longer used: each instrument has its own annual volatility, which its options are priced with too".to_string(),
                "remove it; to change an instrument's figure set simulator.volatility_annual.<SYMBOL>, e.g. NIFTY = 0.13",
            ));
        }
    }
    for (symbol, v) in &sim.volatility_annual {
        let key = format!("simulator.volatility_annual.{symbol}");
        if !cfg.instruments.iter().any(|i| &i.symbol == symbol) {
            return Err(ConfigError::new(
                &key,
                "names no configured instrument".to_string(),
                "use the symbol of an [[instruments]] entry, e.g. NIFTY",
            ));
        }
        if !(*v >= 0.0 && *v <= 3.0) {
            return Err(ConfigError::new(
                &key,
                format!("{v} is out of range"),
                "use an annual volatility from 0 to 3.0, e.g. 0.13 for 13 %",
            ));
        }
    }
    if !(sim.risk_free_rate_annual >= 0.0 && sim.risk_free_rate_annual <= 0.5) {
        return Err(ConfigError::new(
            "simulator.risk_free_rate_annual",
            format!("{} is out of range", sim.risk_free_rate_annual),
            "use an annual rate from 0 to 0.5, e.g. 0.065 for 6.5 %",
        ));
    }
    for (key, each_side) in [
        (
            "simulator.index_option_strikes_each_side",
            sim.index_option_strikes_each_side,
        ),
        (
            "simulator.stock_option_strikes_each_side",
            sim.stock_option_strikes_each_side,
        ),
    ] {
        if !(1..=50).contains(&each_side) {
            return Err(ConfigError::new(
                key,
                format!("{each_side} strikes each side is out of range"),
                "use 1 to 50 (20 for indices and 10 for stocks are the defaults)",
            ));
        }
    }
    let paper = &cfg.paper;
    if !(paper.starting_cash.is_finite() && paper.starting_cash > 0.0) {
        return Err(ConfigError::new(
            "paper.starting_cash",
            format!("{} is not a positive amount", paper.starting_cash),
            "set the paper account's opening cash in rupees, e.g. 1000000",
        ));
    }
    positive("paper.max_quote_age_ms", paper.max_quote_age_ms)?;
    if !(1..=100_000).contains(&paper.max_lots_per_order) {
        return Err(ConfigError::new(
            "paper.max_lots_per_order",
            format!("{} lots is out of range", paper.max_lots_per_order),
            "use 1 to 100000 (100 is the default)",
        ));
    }
    let pct = paper.max_price_deviation_pct;
    if !(pct.is_finite() && pct > 0.0 && pct <= 1000.0) {
        return Err(ConfigError::new(
            "paper.max_price_deviation_pct",
            format!("{pct} is out of range"),
            "use a percentage above 0 and at most 1000 (100, the default, allows up to twice the last price)",
        ));
    }
    if paper.keep_streaming_after_trade_s > 86_400 {
        return Err(ConfigError::new(
            "paper.keep_streaming_after_trade_s",
            format!(
                "{} s is more than a day",
                paper.keep_streaming_after_trade_s
            ),
            "use 0 to 86400 seconds (300 is the default; 0 releases a flat instrument at once)",
        ));
    }
    let fb = &cfg.rest_fallback;
    if !(fb.max_requests_per_s > 0.0 && fb.max_requests_per_s <= 1.0) {
        return Err(ConfigError::new(
            "rest_fallback.max_requests_per_s",
            format!("{} is out of range", fb.max_requests_per_s),
            "use a rate above 0 and at most 1.0: the brokers allow 1 quote request per second",
        ));
    }
    positive("rest_fallback.poll_timeout_ms", fb.poll_timeout_ms)?;
    positive("rest_fallback.auth_retry_ms", fb.auth_retry_ms)?;
    let h = &cfg.history;
    if !(h.max_requests_per_s > 0.0 && h.max_requests_per_s <= 5.0) {
        return Err(ConfigError::new(
            "history.max_requests_per_s",
            format!("{} is out of range", h.max_requests_per_s),
            "use a rate above 0 and at most 5.0 (Dhan's Data API limit; Kite's historical limit of 3 is applied on Kite)",
        ));
    }
    if !(1..=366).contains(&h.days) {
        return Err(ConfigError::new(
            "history.days",
            format!("{} days is out of range", h.days),
            "use 1 to 366 calendar days (7, the default, spans a long weekend and holidays)",
        ));
    }
    positive("history.request_timeout_ms", h.request_timeout_ms)?;
    let b = &cfg.broadcast;
    positive("broadcast.heartbeat_interval_ms", b.heartbeat_interval_ms)?;
    positive(
        "broadcast.prices_push_interval_ms",
        b.prices_push_interval_ms,
    )?;
    positive(
        "broadcast.instrument_quiet_after_ms",
        b.instrument_quiet_after_ms,
    )?;
    if b.instrument_stale_after_ms < b.instrument_quiet_after_ms {
        return Err(ConfigError::new(
            "broadcast.instrument_stale_after_ms",
            format!(
                "{} is below instrument_quiet_after_ms {}",
                b.instrument_stale_after_ms, b.instrument_quiet_after_ms
            ),
            "set it at least as large as broadcast.instrument_quiet_after_ms (30000 is typical)",
        ));
    }
    positive("broadcast.feed_quiet_after_s", b.feed_quiet_after_s)?;
    if b.feed_stale_after_s < b.feed_quiet_after_s {
        return Err(ConfigError::new(
            "broadcast.feed_stale_after_s",
            format!(
                "{} is below feed_quiet_after_s {}",
                b.feed_stale_after_s, b.feed_quiet_after_s
            ),
            "set it at least as large as broadcast.feed_quiet_after_s (30 is typical)",
        ));
    }
    positive(
        "broadcast.max_symbols_per_client",
        b.max_symbols_per_client as u64,
    )?;
    if b.max_queued_bytes < 4096 {
        return Err(ConfigError::new(
            "broadcast.max_queued_bytes",
            format!("{} bytes cannot hold even a snapshot", b.max_queued_bytes),
            "use at least 4096 (2097152 is the default)",
        ));
    }
    if b.drain_deadline_ms < 100 {
        return Err(ConfigError::new(
            "broadcast.drain_deadline_ms",
            format!("{} ms leaves a client no time to read", b.drain_deadline_ms),
            "use at least 100 (8000 is the default)",
        ));
    }
    let o = &cfg.option_chain;
    if !(-0.05..=0.5).contains(&o.risk_free_rate_annual) {
        return Err(ConfigError::new(
            "option_chain.risk_free_rate_annual",
            format!("{} is not an annual rate", o.risk_free_rate_annual),
            "write it as a fraction: 0.065 for 6.5 %",
        ));
    }
    if !(0.0..=0.2).contains(&o.dividend_yield_annual) {
        return Err(ConfigError::new(
            "option_chain.dividend_yield_annual",
            format!("{} is not a dividend yield", o.dividend_yield_annual),
            "write it as a fraction between 0 and 0.2: 0.012 for 1.2 %",
        ));
    }
    if cfg.store.persist_interval_ms < 100 {
        return Err(ConfigError::new(
            "store.persist_interval_ms",
            format!(
                "{} ms would rewrite the snapshot too often",
                cfg.store.persist_interval_ms
            ),
            "use at least 100 (5000 is the default)",
        ));
    }
    let r = &cfg.recorder;
    if r.enabled && !(1..=1000).contains(&r.flush_interval_ms) {
        return Err(ConfigError::new(
            "recorder.flush_interval_ms",
            format!(
                "{} ms is outside 1..=1000: a recording must be durable within a second",
                r.flush_interval_ms
            ),
            "use 1000 (the default) or less",
        ));
    }
    if r.enabled && r.queue_frames == 0 {
        return Err(ConfigError::new(
            "recorder.queue_frames",
            "0 frames would drop every frame".to_string(),
            "use at least 1024 (65536 is the default)",
        ));
    }
    positive("master.max_age_hours", cfg.master.max_age_hours)?;
    positive("master.download_timeout_s", cfg.master.download_timeout_s)?;
    let mirror = cfg.master.broker_url.trim();
    if !mirror.is_empty()
        && !url::Url::parse(mirror).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        return Err(ConfigError::new(
            "master.broker_url",
            format!("\"{mirror}\" is not an http:// or https:// URL"),
            "give the full URL of a mirror of the broker's master, or leave it empty for the broker's own",
        ));
    }
    validate_instruments(cfg)
}

fn validate_instruments(cfg: &MandiConfig) -> Result<(), ConfigError> {
    if cfg.instruments.is_empty() {
        return Err(ConfigError::new(
            "instruments",
            "no instruments are configured",
            "add at least one [[instruments]] table (see config/default.toml)",
        ));
    }
    let mut symbols = HashSet::new();
    for (i, inst) in cfg.instruments.iter().enumerate() {
        let key = |field: &str| format!("instruments[{i}].{field}");
        if inst.symbol.trim().is_empty() || !symbols.insert(inst.symbol.as_str()) {
            return Err(ConfigError::new(
                key("symbol"),
                format!("\"{}\" is empty or used twice", inst.symbol),
                "give every instrument a unique symbol",
            ));
        }
        if !matches!(inst.exchange.as_str(), "NSE" | "BSE" | "MCX") {
            return Err(ConfigError::new(
                key("exchange"),
                format!("\"{}\" is not an exchange", inst.exchange),
                "use \"NSE\", \"BSE\" or \"MCX\"",
            ));
        }
        if Segment::parse(&inst.segment).is_none() {
            let valid: Vec<&str> = Segment::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ConfigError::new(
                key("segment"),
                format!("\"{}\" is not a Dhan segment", inst.segment),
                format!("use one of {}", valid.join(", ")),
            ));
        }
        if !(inst.tick_size > 0.0 && inst.tick_size.is_finite()) {
            return Err(ConfigError::new(
                key("tick_size"),
                "must be positive",
                "e.g. 0.05",
            ));
        }
        if !(inst.sim_price > 0.0 && inst.sim_price.is_finite()) {
            return Err(ConfigError::new(
                key("sim_price"),
                "must be positive",
                "e.g. 1443.4",
            ));
        }
        positive(&key("lot_size"), u64::from(inst.lot_size))?;
        validate_continuous(inst, &key)?;
    }
    for (i, s) in cfg.prices.symbols.iter().enumerate() {
        if !symbols.contains(s.as_str()) {
            return Err(ConfigError::new(
                format!("prices.symbols[{i}]"),
                format!("\"{s}\" is not a configured instrument"),
                "list only symbols that have an [[instruments]] entry",
            ));
        }
    }
    Ok(())
}

/// `continuous` names an underlying of a derivative segment; `roll_days_before_expiry`
/// only with it, and within a month.
fn validate_continuous(
    inst: &InstrumentEntry,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    let Some(underlying) = inst.continuous.as_deref() else {
        if inst.roll_days_before_expiry.is_some() {
            return Err(ConfigError::new(
                key("roll_days_before_expiry"),
                "is set on an instrument that is not continuous",
                "add continuous = \"UNDERLYING\" (e.g. \"CRUDEOIL\") or remove the key",
            ));
        }
        return Ok(());
    };
    if underlying.trim().is_empty() {
        return Err(ConfigError::new(
            key("continuous"),
            "is empty",
            "name the underlying as the master spells it, e.g. continuous = \"CRUDEOIL\"",
        ));
    }
    if !matches!(inst.segment.as_str(), "NSE_FNO" | "BSE_FNO" | "MCX_COMM") {
        return Err(ConfigError::new(
            key("continuous"),
            format!(
                "a continuous future needs a futures segment, not \"{}\"",
                inst.segment
            ),
            "set segment to NSE_FNO, BSE_FNO or MCX_COMM",
        ));
    }
    match inst.roll_days_before_expiry {
        Some(days) if days > MAX_ROLL_DAYS => Err(ConfigError::new(
            key("roll_days_before_expiry"),
            format!("{days} is more than {MAX_ROLL_DAYS} trading days"),
            format!("use 0 to {MAX_ROLL_DAYS} (2 is the default)"),
        )),
        _ => Ok(()),
    }
}

fn positive(key: &str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(ConfigError::new(
            key,
            "must be greater than 0",
            "set a positive value",
        ));
    }
    Ok(())
}
