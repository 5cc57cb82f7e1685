//! Which recorded days to delete: older than `retention_days`, then the oldest until the
//! rest fits in `retention_bytes`. The day being written is never deleted.

use std::path::Path;

use chrono::NaiveDate;

/// The days to delete, oldest first. `days` is every day on disk with its size; a limit
/// of 0 is no limit.
pub fn plan(
    days: &[(NaiveDate, u64)],
    today: NaiveDate,
    keep_days: u32,
    max_bytes: u64,
) -> Vec<NaiveDate> {
    let mut sorted: Vec<(NaiveDate, u64)> = days.to_vec();
    sorted.sort();
    let mut delete = Vec::new();
    let mut kept = Vec::new();
    for (day, bytes) in sorted {
        let age_days = (today - day).num_days();
        if keep_days > 0 && day != today && age_days >= i64::from(keep_days) {
            delete.push(day);
        } else {
            kept.push((day, bytes));
        }
    }
    if max_bytes > 0 {
        let mut total: u64 = kept.iter().map(|(_, b)| b).sum();
        for (day, bytes) in kept {
            if total <= max_bytes || day == today {
                break;
            }
            total -= bytes;
            delete.push(day);
        }
    }
    delete
}

/// Every `YYYY-MM-DD` directory under `root` with the bytes of its files.
pub fn days_on_disk(root: &Path) -> std::io::Result<Vec<(NaiveDate, u64)>> {
    let mut days = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let Some(day) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<NaiveDate>().ok())
        else {
            continue; // not ours
        };
        let mut bytes = 0;
        for f in std::fs::read_dir(entry.path())? {
            bytes += f?.metadata()?.len();
        }
        days.push((day, bytes));
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn plans_deletions_by_age_then_size() {
        struct Case {
            name: &'static str,
            days: Vec<(&'static str, u64)>,
            keep_days: u32,
            max_bytes: u64,
            deleted: Vec<&'static str>,
        }
        let today = "2026-11-23";
        let cases = [
            Case {
                name: "no limits keep everything",
                days: vec![("2026-01-01", 10), (today, 10)],
                keep_days: 0,
                max_bytes: 0,
                deleted: vec![],
            },
            Case {
                name: "age: 2 days keeps today and yesterday",
                days: vec![
                    ("2026-11-20", 1),
                    ("2026-11-21", 1),
                    ("2026-11-22", 1),
                    (today, 1),
                ],
                keep_days: 2,
                max_bytes: 0,
                deleted: vec!["2026-11-20", "2026-11-21"],
            },
            Case {
                name: "size: oldest go first until the rest fits",
                days: vec![("2026-11-21", 50), ("2026-11-22", 50), (today, 50)],
                keep_days: 0,
                max_bytes: 100,
                deleted: vec!["2026-11-21"],
            },
            Case {
                name: "size: today stays even alone over the limit",
                days: vec![("2026-11-22", 50), (today, 500)],
                keep_days: 0,
                max_bytes: 100,
                deleted: vec!["2026-11-22"],
            },
        ];
        for c in cases {
            let days: Vec<(NaiveDate, u64)> = c.days.iter().map(|(s, b)| (d(s), *b)).collect();
            let got = plan(&days, d(today), c.keep_days, c.max_bytes);
            let want: Vec<NaiveDate> = c.deleted.iter().map(|s| d(s)).collect();
            assert_eq!(got, want, "{}", c.name);
        }
    }
}
