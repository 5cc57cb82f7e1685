//! CE/PE bots as pure state machines over ticks and candles; time is an argument.
