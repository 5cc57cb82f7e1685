//! `HostState`: what the strategy host decides. Which bot runs from which file and what a
//! pass over the strategy files changes (start, reload, refuse, removed), the minute bars
//! of the bots' underlyings, and what goes into a bot's inbox. No IO: the host reads the
//! files and starts the runners.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mandi_domain::{Candle, Tick};
use mandi_strategy::{BotSettings, CePeBot, SettingsError};

use super::bars::MinuteBars;
use super::files::{self, StrategyFile, StrategyFileError};
use crate::strategy_runner::Inbox;

/// A strategy file as the host found it on disk this pass.
#[derive(Debug, Clone)]
pub struct DiskFile {
    pub path: PathBuf,
    /// `None`: listed but unreadable right now (mid-write); skipped, not removed.
    pub text: Option<String>,
}

/// One decision of a pass over the strategy files.
#[derive(Debug)]
pub enum FileChange {
    /// A new file: start its bot.
    Start {
        file: StrategyFile,
        bot: Box<CePeBot>,
    },
    /// A running bot's file was edited: hand it the new settings.
    Reload { name: String, file: StrategyFile },
    /// An edit or a new file that cannot be applied: a running bot keeps its settings.
    /// Said once per text: the same text is not refused again.
    Refuse { error: StrategyFileError },
    /// A valid file whose bot could not be built.
    NotStarted { name: String, error: SettingsError },
    /// A running bot's file is gone. The bot keeps running (its position with it) until
    /// the runtime restarts; said once.
    Removed { name: String, path: PathBuf },
}

/// A running bot's file, as last applied.
#[derive(Debug)]
struct BotFile {
    file: StrategyFile,
    /// The text of an edit that was refused: said once, not every second.
    refused: Option<String>,
}

/// A completed bar of an underlying.
pub type UnderlyingBar = (Arc<str>, Candle);

#[derive(Debug, Default)]
pub struct HostState {
    /// Running bots by name.
    bots: BTreeMap<String, BotFile>,
    /// New files that could not start, with the text refused: said once per edit.
    refused_new: BTreeMap<PathBuf, String>,
    /// Files of running bots found gone (said once; cleared when the file is back).
    removed: BTreeSet<PathBuf>,
    /// By underlying symbol.
    bars: BTreeMap<Arc<str>, MinuteBars>,
    /// Bots paused from the API: they get no bars (their entry signals) until resumed,
    /// but keep their ticks, so an open position is still managed and can be exited.
    paused: BTreeSet<String>,
}

impl HostState {
    /// Starts the bots of the files loaded and validated at start.
    pub fn start(&mut self, files: Vec<StrategyFile>) -> Vec<FileChange> {
        files.into_iter().map(|file| self.start_one(file)).collect()
    }

    /// Compares the files on disk with what runs: edits go to their bot, new files start
    /// one, bad edits are refused with the reason and the old settings kept.
    pub fn reload(&mut self, on_disk: Vec<DiskFile>) -> Vec<FileChange> {
        let mut changes = Vec::new();
        let listed: BTreeSet<PathBuf> = on_disk.iter().map(|f| f.path.clone()).collect();
        for DiskFile { path, text } in on_disk {
            let Some(text) = text else {
                continue;
            };
            self.removed.remove(&path);
            if let Some(change) = self.compare(path, text) {
                changes.push(change);
            }
        }
        for (name, bot) in &self.bots {
            let path = &bot.file.path;
            if !listed.contains(path) && self.removed.insert(path.clone()) {
                changes.push(FileChange::Removed {
                    name: name.clone(),
                    path: path.clone(),
                });
            }
        }
        changes
    }

    /// The file a running bot was last given.
    #[cfg(test)]
    pub fn file(&self, name: &str) -> Option<&StrategyFile> {
        self.bots.get(name).map(|b| &b.file)
    }

    /// Pauses or resumes `name`; false when no such bot runs.
    pub fn set_paused(&mut self, name: &str, paused: bool) -> bool {
        if !self.bots.contains_key(name) {
            return false;
        }
        if paused {
            self.paused.insert(name.to_string());
        } else {
            self.paused.remove(name);
        }
        true
    }

    pub fn is_paused(&self, name: &str) -> bool {
        self.paused.contains(name)
    }

    /// Folds ticks into the underlyings' bars; the bars they completed.
    pub fn on_ticks(&mut self, ticks: &[Tick]) -> Vec<UnderlyingBar> {
        let mut closed = Vec::new();
        for tick in ticks {
            if let Some(bars) = self.bars.get_mut(&tick.symbol) {
                if let Some(bar) = bars.on_tick(tick) {
                    closed.push((tick.symbol.clone(), bar));
                }
            }
        }
        closed
    }

    /// The bars a quiet market left open past their minute.
    pub fn close_due(&mut self, now: DateTime<Utc>) -> Vec<UnderlyingBar> {
        self.bars
            .iter_mut()
            .filter_map(|(s, b)| b.close_due(now).map(|bar| (s.clone(), bar)))
            .collect()
    }

    /// One file's text against what runs from it; `None` when nothing is to be done.
    fn compare(&mut self, path: PathBuf, text: String) -> Option<FileChange> {
        let running = self
            .bots
            .iter()
            .find(|(_, b)| b.file.path == path)
            .map(|(name, _)| name.clone());
        let unchanged = match running.as_ref().and_then(|n| self.bots.get(n)) {
            Some(bot) => bot.file.text == text || bot.refused.as_deref() == Some(text.as_str()),
            None => self.refused_new.get(&path) == Some(&text),
        };
        if unchanged {
            return None;
        }
        let checked = files::parse(&path, &text).and_then(|settings| {
            let old = running
                .as_ref()
                .and_then(|n| self.bots.get(n))
                .map(|b| &b.file.settings);
            self.check(&path, old, settings)
        });
        let change = match (checked, running) {
            (Ok(settings), Some(name)) => {
                let file = StrategyFile {
                    path,
                    text,
                    settings,
                };
                if let Some(bot) = self.bots.get_mut(&name) {
                    bot.file = file.clone();
                    bot.refused = None;
                }
                FileChange::Reload { name, file }
            }
            (Ok(settings), None) => {
                self.refused_new.remove(&path);
                self.start_one(StrategyFile {
                    path,
                    text,
                    settings,
                })
            }
            (Err(error), Some(name)) => {
                if let Some(bot) = self.bots.get_mut(&name) {
                    bot.refused = Some(text);
                }
                FileChange::Refuse { error }
            }
            (Err(error), None) => {
                self.refused_new.insert(path, text);
                FileChange::Refuse { error }
            }
        };
        Some(change)
    }

    /// What an edit may not change in a running bot (`old`), and a new file may not take:
    /// a running bot's name.
    fn check(
        &self,
        path: &std::path::Path,
        old: Option<&BotSettings>,
        settings: BotSettings,
    ) -> Result<BotSettings, StrategyFileError> {
        let invalid = |reason: String| StrategyFileError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        match old {
            Some(old) if settings.name != old.name => Err(invalid(format!("name changed from `{}` to `{}`: a running bot cannot be renamed — restore the name, or add a new file for a new bot", old.name, settings.name))),
            Some(old) if settings.underlying != old.underlying => Err(invalid(format!("underlying changed from `{}` to `{}`: that needs a restart (the bot's candles and position belong to the old one)", old.underlying, settings.underlying))),
            None if self.bots.contains_key(&settings.name) => Err(invalid(format!("another file already runs the bot `{}`: give this one its own name", settings.name))),
            _ => Ok(settings),
        }
    }

    fn start_one(&mut self, file: StrategyFile) -> FileChange {
        let name = file.settings.name.clone();
        if let Err(error) = self.check(&file.path, None, file.settings.clone()) {
            return FileChange::Refuse { error };
        }
        match CePeBot::new(file.settings.clone()) {
            Ok(bot) => {
                let underlying: Arc<str> = file.settings.underlying.as_str().into();
                self.bars.entry(underlying).or_default();
                self.bots.insert(
                    name,
                    BotFile {
                        file: file.clone(),
                        refused: None,
                    },
                );
                FileChange::Start {
                    file,
                    bot: Box::new(bot),
                }
            }
            Err(error) => {
                // Said once: the same text is not tried again every second.
                self.refused_new.insert(file.path, file.text);
                FileChange::NotStarted { name, error }
            }
        }
    }
}

/// Puts a bot's share of a publish in its inbox: the completed bars of its `underlying`
/// and the ticks it reads (a paused bot: the ticks only). True when the runner needs waking.
pub fn fill_inbox(
    inbox: &mut Inbox,
    underlying: &str,
    bars: &[UnderlyingBar],
    ticks: &[Tick],
    paused: bool,
) -> bool {
    let mut wake = false;
    for (symbol, bar) in bars {
        if **symbol == *underlying && !paused {
            wake |= inbox.offer_candle(bar.clone());
        }
    }
    for tick in ticks {
        wake |= inbox.offer_tick(tick);
    }
    wake
}

#[cfg(test)]
mod tests;
