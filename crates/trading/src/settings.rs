//! The paper account's and the bots' settings.

/// The paper account and the strategy bots.
#[derive(Clone, Default)]
pub struct TradingSettings {
    pub paper: mandi_paper::PaperSettings,
    /// The SQLite journal; `None` keeps the account in memory (nothing survives a restart).
    pub journal_path: Option<std::path::PathBuf>,
    /// Watched for strategy files (`*.toml`): edits reload, new files start bots.
    pub strategies_dir: Option<std::path::PathBuf>,
    /// The strategy files found and validated at start.
    pub strategies: Vec<crate::strategy_host::StrategyFile>,
    /// The time the paper account and the bots run on; `None` is the wall clock. A
    /// scripted scenario shares one clock with the simulator that stamps its quotes.
    pub clock: Option<crate::clock::Clock>,
}

impl std::fmt::Debug for TradingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TradingSettings")
            .field("paper", &self.paper)
            .field("journal_path", &self.journal_path)
            .field("strategies_dir", &self.strategies_dir)
            .field("strategies", &self.strategies)
            .field("clock", &self.clock.as_ref().map(|c| c()))
            .finish()
    }
}
