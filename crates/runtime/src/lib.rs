//! mandi runtime actors.
