//! The mandi binary.
fn main() {}
