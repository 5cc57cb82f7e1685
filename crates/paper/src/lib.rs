//! Paper execution: orders filled honestly against live quotes; pure, time is an argument.
