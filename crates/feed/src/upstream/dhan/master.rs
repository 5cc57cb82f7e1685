//! Dhan's scrip master (protocols.md A6): where it is published, and that it is public,
//! so the download needs no session.

/// The compact scrip master, the one `master.source = "broker"` loads.
pub const COMPACT_URL: &str = "https://images.dhan.co/api-data/api-scrip-master.csv";
/// The detailed scrip master (same loader, told apart by its header).
pub const DETAILED_URL: &str = "https://images.dhan.co/api-data/api-scrip-master-detailed.csv";

/// The file is public: no credentials travel with the download.
pub const NEEDS_SESSION: bool = false;

/// Request headers for the download: none.
pub fn headers() -> Vec<(String, String)> {
    Vec::new()
}
