//! Strategy files: `<dir>/*.toml`, one bot each, parsed and validated. At start a bad
//! file stops the runtime with the file and key named; on reload a bad edit is refused
//! and the bot keeps its old settings.

use std::path::{Path, PathBuf};

use mandi_strategy::BotSettings;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum StrategyFileError {
    #[error("strategy file {path}: cannot read it: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("strategy file {path}: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error("strategy file {path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("strategy files {first} and {second} both name the bot `{name}`: give each bot its own name")]
    DuplicateName {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
}

/// One parsed strategy file.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyFile {
    pub path: PathBuf,
    /// The text it was parsed from: a reload compares it to see an edit.
    pub text: String,
    pub settings: BotSettings,
}

/// Parses and validates one file's text.
pub fn parse(path: &Path, text: &str) -> Result<BotSettings, StrategyFileError> {
    let settings: BotSettings = toml::from_str(text).map_err(|e| StrategyFileError::Parse {
        path: path.to_path_buf(),
        // toml's message names the key and shows the line; keep it on one log line.
        reason: e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    })?;
    settings
        .validate()
        .map_err(|e| StrategyFileError::Invalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok(settings)
}

pub fn read(path: &Path) -> Result<StrategyFile, StrategyFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| StrategyFileError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let settings = parse(path, &text)?;
    Ok(StrategyFile {
        path: path.to_path_buf(),
        text,
        settings,
    })
}

/// The `*.toml` files of `dir`, sorted; a missing directory has none.
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    paths
}

/// Every strategy file of `dir`, all valid and uniquely named, or the first problem.
pub fn load_dir(dir: &Path) -> Result<Vec<StrategyFile>, StrategyFileError> {
    let mut files: Vec<StrategyFile> = Vec::new();
    for path in list(dir) {
        let file = read(&path)?;
        if let Some(other) = files.iter().find(|f| f.settings.name == file.settings.name) {
            return Err(StrategyFileError::DuplicateName {
                name: file.settings.name.clone(),
                first: other.path.clone(),
                second: path,
            });
        }
        files.push(file);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_parses_and_a_bad_key_is_named() {
        let p = Path::new("x.toml");
        let good = "name = \"orb\"\nunderlying = \"NIFTY\"\nentry = { kind = \"opening_range\", minutes = 15 }\n";
        assert_eq!(parse(p, good).map(|s| s.name), Ok("orb".to_string()));
        let typo = format!("{good}stop_los_pct = 10\n");
        let err = parse(p, &typo)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("stop_los_pct"), "{err}");
        let bad_range = format!("{good}stop_loss_pct = -5\n");
        let err = parse(p, &bad_range)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("stop_loss_pct"), "{err}");
    }
}
