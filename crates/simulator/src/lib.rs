//! The broker simulator.
