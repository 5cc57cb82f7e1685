//! The human names the masters print for the underlyings the simulator knows; anything
//! else falls back to its symbol.

/// `(symbol, Dhan SEM_CUSTOM_SYMBOL, Dhan SM_SYMBOL_NAME, Kite name)`.
const NAMES: [(&str, &str, &str, &str); 7] = [
    ("NIFTY", "Nifty 50", "NIFTY", "NIFTY 50"),
    ("BANKNIFTY", "Nifty Bank", "BANKNIFTY", "NIFTY BANK"),
    ("SENSEX", "Sensex", "SENSEX", "SENSEX"),
    (
        "RELIANCE",
        "Reliance Industries",
        "RELIANCE INDUSTRIES LTD",
        "RELIANCE INDUSTRIES",
    ),
    ("HDFCBANK", "HDFC Bank", "HDFC BANK LTD", "HDFC BANK"),
    (
        "TCS",
        "Tata Consultancy Services",
        "TATA CONSULTANCY SERV LT",
        "TATA CONSULTANCY SERVICES",
    ),
    ("CRUDEOIL", "Crude Oil", "CRUDEOIL", "CRUDEOIL"),
];

/// Dhan's display name of a cash instrument or index (`Reliance Industries`).
pub fn dhan_display(symbol: &str) -> &str {
    find(symbol).map_or(symbol, |n| n.1)
}

/// Dhan's `SM_SYMBOL_NAME` (`RELIANCE INDUSTRIES LTD`).
pub fn dhan_long(symbol: &str) -> &str {
    find(symbol).map_or(symbol, |n| n.2)
}

/// Kite's `name` column for a cash instrument or index (`RELIANCE INDUSTRIES`).
pub fn kite_name(symbol: &str) -> &str {
    find(symbol).map_or(symbol, |n| n.3)
}

fn find(symbol: &str) -> Option<&'static (&'static str, &'static str, &'static str, &'static str)> {
    NAMES.iter().find(|n| n.0 == symbol)
}
