//! The `from` / `to` days of `/api/candles` (IST dates, both included): parsed and checked
//! here, without IO, so the handler only fetches. Neither given means today's live minutes.

use chrono::NaiveDate;

/// Days one request may span: a month of one-minute bars is about 8,000 per symbol, and
/// fits one request to either broker (Kite: 60 days of minutes, Dhan: 90).
pub const MAX_RANGE_DAYS: i64 = 31;

/// The days asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CandleRange {
    pub from: NaiveDate,
    /// Never after today.
    pub to: NaiveDate,
}

/// Why the days cannot be served, naming the query parameter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("{parameter} must be an IST date YYYY-MM-DD, not {given:?}")]
    BadDate {
        parameter: &'static str,
        given: String,
    },
    #[error("from ({from}) is after to ({to})")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("from {from} to {to} spans more than {MAX_RANGE_DAYS} days; ask for fewer")]
    TooLong { from: NaiveDate, to: NaiveDate },
}

impl RangeError {
    /// The query parameter to fix.
    pub fn parameter(&self) -> &'static str {
        match self {
            RangeError::BadDate { parameter, .. } => parameter,
            RangeError::Reversed { .. } | RangeError::TooLong { .. } => "from",
        }
    }
}

/// `from` alone runs to today; `to` alone is that one day; a `to` after today is today.
pub fn parse_range(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<Option<CandleRange>, RangeError> {
    let date = |parameter: &'static str, given: Option<&str>| {
        given
            .map(|g| {
                NaiveDate::parse_from_str(g.trim(), "%Y-%m-%d").map_err(|_| RangeError::BadDate {
                    parameter,
                    given: g.to_string(),
                })
            })
            .transpose()
    };
    let (from, to) = match (date("from", from)?, date("to", to)?) {
        (None, None) => return Ok(None),
        (Some(f), None) => (f, today),
        (None, Some(t)) => (t, t),
        (Some(f), Some(t)) => (f, t),
    };
    if from > to {
        return Err(RangeError::Reversed { from, to });
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(RangeError::TooLong { from, to });
    }
    Ok(Some(CandleRange {
        from,
        to: to.min(today),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        struct TestCase {
            name: &'static str,
            from: Option<&'static str>,
            to: Option<&'static str>,
            want: Result<Option<(&'static str, &'static str)>, &'static str>,
        }
        let cases = [
            TestCase {
                name: "neither: today's live minutes",
                from: None,
                to: None,
                want: Ok(None),
            },
            TestCase {
                name: "from alone runs to today",
                from: Some("2026-11-20"),
                to: None,
                want: Ok(Some(("2026-11-20", "2026-11-24"))),
            },
            TestCase {
                name: "to alone is one day",
                from: None,
                to: Some("2026-11-20"),
                want: Ok(Some(("2026-11-20", "2026-11-20"))),
            },
            TestCase {
                name: "a future to is today",
                from: Some("2026-11-23"),
                to: Some("2026-11-30"),
                want: Ok(Some(("2026-11-23", "2026-11-24"))),
            },
            TestCase {
                name: "not a date",
                from: Some("yesterday"),
                to: None,
                want: Err("from"),
            },
            TestCase {
                name: "reversed",
                from: Some("2026-11-21"),
                to: Some("2026-11-20"),
                want: Err("from"),
            },
            TestCase {
                name: "too long",
                from: Some("2026-10-01"),
                to: Some("2026-11-20"),
                want: Err("from"),
            },
            TestCase {
                name: "bad to",
                from: None,
                to: Some("20/11/2026"),
                want: Err("to"),
            },
        ];
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
        for c in cases {
            let got = parse_range(c.from, c.to, today)
                .map(|r| r.map(|r| (r.from.to_string(), r.to.to_string())))
                .map_err(|e| e.parameter());
            let want = c
                .want
                .map(|r| r.map(|(f, t)| (f.to_string(), t.to_string())));
            assert_eq!(got, want, "{}", c.name);
        }
    }
}
