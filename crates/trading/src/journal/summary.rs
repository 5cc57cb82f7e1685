//! The end-of-day summary: the day's fills per tag (bot name, or the external caller's
//! tag), from the journal itself so it agrees with what was written.

use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;

/// One tag's (bot's) day.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TagSummary {
    pub tag: String,
    pub fills: u64,
    pub bought_value: f64,
    pub sold_value: f64,
    pub charges: f64,
    /// `sold − bought − charges`: the day's net PnL for positions opened and closed the
    /// same day (the CE/PE bots' case); an overnight position shows as its cash flow.
    pub net_cash_flow: f64,
}

/// The account's day.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DaySummary {
    pub date: NaiveDate,
    pub fills: u64,
    pub orders: u64,
    pub rejected_orders: u64,
    pub charges: f64,
    pub net_cash_flow: f64,
    pub by_tag: Vec<TagSummary>,
}

pub(super) fn compute(conn: &Connection, date: NaiveDate) -> rusqlite::Result<DaySummary> {
    let day = date.to_string();
    let mut stmt = conn.prepare(
        "SELECT tag, COUNT(*),
                SUM(CASE WHEN side = 'BUY' THEN price * quantity ELSE 0 END),
                SUM(CASE WHEN side = 'SELL' THEN price * quantity ELSE 0 END),
                SUM(charges)
         FROM fills WHERE ist_date = ?1 GROUP BY tag ORDER BY tag",
    )?;
    let by_tag = stmt
        .query_map(params![day], |r| {
            let (bought, sold, charges): (f64, f64, f64) = (r.get(2)?, r.get(3)?, r.get(4)?);
            Ok(TagSummary {
                tag: r.get(0)?,
                fills: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                bought_value: paise(bought),
                sold_value: paise(sold),
                charges: paise(charges),
                net_cash_flow: paise(sold - bought - charges),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Orders by the IST date of submission: `submitted_at` is UTC, so compare the
    // journal's own rows through SQLite's date arithmetic (+05:30).
    let (orders, rejected): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(status = 'rejected'), 0) FROM orders
         WHERE date(submitted_at, '+330 minutes') = ?1",
        params![day],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(DaySummary {
        date,
        fills: by_tag.iter().map(|t| t.fills).sum(),
        orders: u64::try_from(orders).unwrap_or(0),
        rejected_orders: u64::try_from(rejected).unwrap_or(0),
        charges: paise(by_tag.iter().map(|t| t.charges).sum()),
        net_cash_flow: paise(by_tag.iter().map(|t| t.net_cash_flow).sum()),
        by_tag,
    })
}

fn paise(v: f64) -> f64 {
    mandi_paper::round_paise(v)
}
