//! mandi as a separate process: `mandi run` against the fake upstream, on port 0, in a temp
//! directory of its own; its address read from the "mandi listening on http://..." line it
//! prints, its log kept in that directory, and the process killed when this handle drops.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::upstream::{ACCESS_TOKEN, CLIENT_ID};

const LISTENING: &str = "mandi listening on http://";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running mandi.
pub struct MandiProcess {
    child: Child,
    pub pid: u32,
    pub port: u16,
    /// `ws://127.0.0.1:P/ws`.
    pub ws_url: String,
    dir: PathBuf,
    keep_dir: bool,
}

impl MandiProcess {
    /// Start `binary run` with its upstream at the fake's two URLs (and `env`'s keys) and
    /// wait for its address.
    pub fn start(
        binary: &Path,
        ws_url: &str,
        rest_url: &str,
        name: &str,
        env: &[(&str, &str)],
        keep_dir: bool,
    ) -> anyhow::Result<MandiProcess> {
        let dir = std::env::temp_dir().join(format!("mandi-loadgen-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let log_path = dir.join("mandi.log");
        let log = File::create(&log_path)?;
        // mandi runs in its temp directory: a relative path would be looked up there.
        let binary = binary
            .canonicalize()
            .unwrap_or_else(|_| binary.to_path_buf());
        let mut cmd = Command::new(&binary);
        cmd.arg("run")
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // Only what is set here configures it: no inherited keys, broker or log filter.
        for (key, _) in std::env::vars() {
            if key.starts_with("MANDI")
                || key.starts_with("KITE_")
                || key.starts_with("DHAN_")
                || key == "RUST_LOG"
            {
                cmd.env_remove(key);
            }
        }
        cmd.envs([
            ("MANDI__SIMULATOR__ENABLED", "false"),
            ("MANDI__UPSTREAM__BROKER", "dhan"),
            ("MANDI__UPSTREAM__WS_URL", ws_url),
            ("MANDI__UPSTREAM__REST_URL", rest_url),
            // Gaps between steps are silence, not a stale socket to replace.
            ("MANDI__UPSTREAM__STALE_AFTER_MS", "0"),
            ("MANDI__SERVER__HOST", "127.0.0.1"),
            ("MANDI__SERVER__PORT", "0"),
            ("MANDI__STORE__DATA_DIR", "data"),
            // Instrument states stay "live" whatever the hour the benchmark runs at.
            ("MANDI__MARKET__ALWAYS_OPEN", "true"),
            ("MANDI__STRATEGIES__DIR", ""),
            // The fake upstream serves no instrument master; never fetch the broker's.
            ("MANDI__MASTER__SOURCE", "none"),
            ("DHAN_CLIENT_ID", CLIENT_ID),
            ("DHAN_ACCESS_TOKEN", ACCESS_TOKEN),
            // The log is a file: plain text, so it can be searched.
            ("NO_COLOR", "1"),
        ]);
        // The scenario's own keys last, so they win.
        cmd.envs(env.iter().copied());
        let child = cmd.spawn().with_context(|| {
            format!("starting {} (build it: make bench-load)", binary.display())
        })?;
        let pid = child.id();
        let mut mandi = MandiProcess {
            child,
            pid,
            port: 0,
            ws_url: String::new(),
            dir,
            keep_dir,
        };
        mandi.port = mandi.wait_listening(&log_path)?;
        mandi.ws_url = format!("ws://127.0.0.1:{}/ws", mandi.port);
        Ok(mandi)
    }

    /// The log so far (for an error message).
    pub fn log_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(self.dir.join("mandi.log")).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The distinct messages logged at WARN or ERROR level, with how often each was, first
    /// seen first (for the notes).
    pub fn warnings(&self) -> Vec<(String, usize)> {
        let text = fs::read_to_string(self.dir.join("mandi.log")).unwrap_or_default();
        let mut seen: Vec<(String, usize)> = Vec::new();
        for message in text
            .lines()
            .map(strip_ansi)
            .filter_map(|l| warning_message(&l))
        {
            match seen.iter_mut().find(|(m, _)| *m == message) {
                Some((_, n)) => *n += 1,
                None => seen.push((message, 1)),
            }
        }
        seen
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn wait_listening(&mut self, log_path: &Path) -> anyhow::Result<u16> {
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            let text = fs::read_to_string(log_path).unwrap_or_default();
            if let Some(port) = listening_port(&text) {
                return Ok(port);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!(
                    "mandi exited ({status}) before listening:\n{}",
                    self.log_tail(30)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!(
            "mandi printed no address within {START_TIMEOUT:?}:\n{}",
            self.log_tail(30)
        )
    }
}

impl Drop for MandiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.keep_dir {
            eprintln!("mandi log kept in {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A log line without terminal colour codes (`ESC [ … m`), in case colour is on anyway.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// The message of a WARN or ERROR line: after the level and any span
/// (`2026-… WARN span{fields}: message fields`).
fn warning_message(line: &str) -> Option<String> {
    let at = line.find(" WARN ").or_else(|| line.find(" ERROR "))?;
    let rest = line[at..].trim_start();
    let rest = rest.split_once(' ').map_or(rest, |(_, r)| r);
    let message = rest.rsplit_once("}: ").map_or(rest, |(_, m)| m);
    Some(message.trim().to_owned())
}

/// The port of "mandi listening on http://127.0.0.1:PORT".
fn listening_port(log: &str) -> Option<u16> {
    let rest = &log[log.find(LISTENING)? + LISTENING.len()..];
    let addr = rest.split_whitespace().next()?.trim_end_matches('/');
    addr.rsplit(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_messages_without_spans() {
        let cases = [
            (
                "span",
                "2026 WARN HTTP request{a=1 b=2}: slow client dropped id=3",
                Some("slow client dropped id=3"),
            ),
            ("plain", "2026 ERROR feed lost", Some("feed lost")),
            ("info", "2026 INFO fine", None),
        ];
        for (name, line, want) in cases {
            assert_eq!(warning_message(line).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn colour_codes_are_stripped() {
        let line = "\u{1b}[2m2026\u{1b}[0m \u{1b}[33m WARN\u{1b}[0m slow";
        assert_eq!(strip_ansi(line), "2026  WARN slow");
    }

    #[test]
    fn port_from_the_listening_line() {
        let cases = [
            (
                "plain",
                "x\nmandi listening on http://127.0.0.1:40123\n",
                Some(40123),
            ),
            (
                "slash",
                "mandi listening on http://127.0.0.1:8000/\n",
                Some(8000),
            ),
            ("not yet", "2026 INFO starting\n", None),
        ];
        for (name, log, want) in cases {
            assert_eq!(listening_port(log), want, "{name}");
        }
    }
}
