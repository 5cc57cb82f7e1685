//! mandi server library.
