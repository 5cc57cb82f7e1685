//! One instrument's price path as a pure function of (seed, security id, time): a
//! restarted simulator carries on where the last one was, and the history endpoints
//! serve the very prices the feeds sent. No state is persisted; caches only save work.
//!
//! The log-price relative to the start price is built in three layers, each a Brownian
//! bridge pinned to the layer above:
//! - day closes (at IST midnight): a mean-reverting AR(1) around the start price,
//!   `D(d) = φ·D(d−1) + σ_day·ε_d`, evaluated as the sum of the last [`DAY_MEMORY`]
//!   innovations, so prices wander for weeks but never leave the configured level;
//! - minute points: a bridge from `D(d−1)` to `D(d)` over the day's 1,440 minutes, each
//!   minute carrying its share of the day's variance from the exchange's profile;
//! - steps: a bridge inside each minute with equal variance per step.
//!
//! With `σ_day = σ_annual / √252`, a step of minute `m` has
//! `σ_step = σ_annual · √(share(m) / (252 · steps_per_minute))`. For a flat profile with
//! every bit of variance inside the session this is the textbook
//! `σ_annual · √(step_s / (252 · session_s))`, i.e. trading seconds per year =
//! 252 × the session's length.

use chrono::{DateTime, Utc};
use mandi_domain::time::IST_OFFSET_S;

use super::profile::{Activity, VarianceProfile, MINUTES_PER_DAY};

/// Trading days a year, the annualisation of every volatility here.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;
/// Day-close innovations that still count; φ^250 is negligible, so older ones are dropped.
const DAY_MEMORY: i64 = 250;
/// Day-to-day persistence of the distance from the start price (half-life ≈ 13.5 days):
/// closes wander about 3.2 daily sigmas from it (NIFTY ≈ 2.6 %, a 24 % stock ≈ 5 %).
const MEAN_REVERSION: f64 = 0.95;
const MS_PER_MINUTE: i64 = 60_000;

/// Hash layers, so the three kinds of draws never share a random number.
const LAYER_DAY: u64 = 1;
const LAYER_MINUTE: u64 = 2;
const LAYER_STEP: u64 = 3;

/// The bridge from one minute's point to the next.
#[derive(Clone, Debug)]
struct MinuteCache {
    minute: i64,
    start: f64,
    end: f64,
    /// Running sums of the minute's standard-normal step draws, `prefix[0] = 0`.
    prefix: Vec<f64>,
    scale: f64,
}

/// The current day's two closes and its running sums of weighted minute draws.
#[derive(Clone, Debug)]
struct DayCache {
    day: i64,
    open: f64,
    close: f64,
    prefix: Vec<f64>,
}

/// One instrument's path (log-price relative to its start price) with its caches.
#[derive(Clone, Debug)]
pub struct PricePath {
    seed: u64,
    id: u64,
    sigma_day: f64,
    step_ms: i64,
    steps_per_minute: i64,
    profile: VarianceProfile,
    day: Option<DayCache>,
    minute: Option<MinuteCache>,
}

impl PricePath {
    pub fn new(
        seed: u64,
        id: u64,
        volatility_annual: f64,
        step_ms: u64,
        profile: VarianceProfile,
    ) -> Self {
        let step_ms = (step_ms as i64).clamp(1, MS_PER_MINUTE);
        PricePath {
            seed,
            id,
            sigma_day: volatility_annual.max(0.0) / TRADING_DAYS_PER_YEAR.sqrt(),
            step_ms,
            steps_per_minute: (MS_PER_MINUTE + step_ms - 1) / step_ms,
            profile,
            day: None,
            minute: None,
        }
    }

    /// Whether the path's activity follows the session or is flat all day.
    pub fn activity(&self) -> Activity {
        self.profile.activity
    }

    /// The step `t` falls in, counted from the IST epoch (1970-01-01 00:00 IST).
    pub fn step_at(&self, t: DateTime<Utc>) -> i64 {
        (t.timestamp_millis() + IST_OFFSET_S * 1_000).div_euclid(self.step_ms)
    }

    /// The IST day of step `k` (days since 1970-01-01 IST) and its minute in that day.
    pub fn day_and_minute(&self, k: i64) -> (i64, usize) {
        let minute = (k * self.step_ms).div_euclid(MS_PER_MINUTE);
        (
            minute.div_euclid(MINUTES_PER_DAY as i64),
            minute.rem_euclid(MINUTES_PER_DAY as i64) as usize,
        )
    }

    /// The first step of IST day `day`.
    pub fn first_step_of(&self, day: i64) -> i64 {
        let ms = day * MINUTES_PER_DAY as i64 * MS_PER_MINUTE;
        (ms + self.step_ms - 1).div_euclid(self.step_ms)
    }

    /// The instant step `k` starts.
    pub fn time_of(&self, k: i64) -> DateTime<Utc> {
        let ms = k * self.step_ms - IST_OFFSET_S * 1_000;
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }

    /// The first step of absolute minute `minute` (minutes since the IST epoch).
    pub fn first_step_of_minute(&self, minute: i64) -> i64 {
        (minute * MS_PER_MINUTE + self.step_ms - 1).div_euclid(self.step_ms)
    }

    /// The absolute minute step `k` falls in.
    pub fn minute_of_step(&self, k: i64) -> i64 {
        (k * self.step_ms).div_euclid(MS_PER_MINUTE)
    }

    pub fn steps_per_minute(&self) -> i64 {
        self.steps_per_minute
    }

    /// How far into its minute step `k` is, in [0, 1).
    pub fn step_fraction_of_minute(&self, k: i64) -> f64 {
        let ms = (k * self.step_ms).rem_euclid(MS_PER_MINUTE);
        ms as f64 / MS_PER_MINUTE as f64
    }

    /// Log-price at IST midnight ending day `day` − 1, i.e. the close of `day` − 1.
    pub fn close_of(&self, day: i64) -> f64 {
        let mut acc = 0.0;
        let mut weight = 1.0;
        for back in 0..DAY_MEMORY {
            acc += weight * self.normal(LAYER_DAY, day - back, 0);
            weight *= MEAN_REVERSION;
        }
        self.sigma_day * acc
    }

    /// Log-price at the start of absolute minute `minute` (minutes since the IST epoch).
    pub fn at_minute(&mut self, minute: i64) -> f64 {
        let day = minute.div_euclid(MINUTES_PER_DAY as i64);
        let m = minute.rem_euclid(MINUTES_PER_DAY as i64) as usize;
        self.ensure_day(day);
        let Some(c) = &self.day else { return 0.0 };
        let w = self.profile.cumulative[m];
        let drawn = c.prefix[m] - w * c.prefix[MINUTES_PER_DAY];
        c.open + self.sigma_day * drawn + w * (c.close - c.open)
    }

    /// Log-price at step `k`.
    pub fn at_step(&mut self, k: i64) -> f64 {
        let ms = k * self.step_ms;
        let minute = ms.div_euclid(MS_PER_MINUTE);
        let j = (ms - minute * MS_PER_MINUTE) / self.step_ms;
        let b = self.steps_per_minute as f64;
        self.ensure_minute(minute);
        let Some(c) = &self.minute else { return 0.0 };
        let frac = j as f64 / b;
        let drawn = c.prefix[j as usize] - frac * c.prefix[c.prefix.len() - 1];
        c.start + c.scale * drawn + frac * (c.end - c.start)
    }

    /// A uniform draw in [0, 1) keyed like the path's own (for volumes).
    pub fn uniform(&self, layer: u64, a: i64, b: i64) -> f64 {
        unit(self.hash(layer, a, b))
    }

    fn ensure_day(&mut self, day: i64) {
        if self.day.as_ref().map(|c| c.day) != Some(day) {
            let mut prefix = Vec::with_capacity(MINUTES_PER_DAY + 1);
            let mut acc = 0.0;
            prefix.push(0.0);
            for m in 0..MINUTES_PER_DAY {
                acc += self.profile.share[m].sqrt() * self.normal(LAYER_MINUTE, day, m as i64);
                prefix.push(acc);
            }
            self.day = Some(DayCache {
                day,
                open: self.close_of(day - 1),
                close: self.close_of(day),
                prefix,
            });
        }
    }

    fn ensure_minute(&mut self, minute: i64) {
        if self.minute.as_ref().map(|c| c.minute) != Some(minute) {
            let start = self.at_minute(minute);
            let end = self.at_minute(minute + 1);
            let m = minute.rem_euclid(MINUTES_PER_DAY as i64) as usize;
            let b = self.steps_per_minute;
            let mut prefix = Vec::with_capacity(b as usize + 1);
            let mut acc = 0.0;
            prefix.push(0.0);
            for j in 0..b {
                acc += self.normal(LAYER_STEP, minute, j);
                prefix.push(acc);
            }
            self.minute = Some(MinuteCache {
                minute,
                start,
                end,
                prefix,
                scale: self.sigma_day * (self.profile.share[m] / b as f64).sqrt(),
            });
        }
    }

    fn hash(&self, layer: u64, a: i64, b: i64) -> u64 {
        mix(mix(mix(mix(self.seed) ^ self.id) ^ layer) ^ a as u64) ^ mix(b as u64)
    }

    /// A standard normal draw (Box–Muller on two hashed uniforms).
    fn normal(&self, layer: u64, a: i64, b: i64) -> f64 {
        let h = self.hash(layer, a, b);
        let u1 = 1.0 - unit(h); // (0, 1], keeps ln finite
        let u2 = unit(mix(h));
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of a 64-bit key.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The top 53 bits as a uniform in [0, 1).
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use mandi_domain::Exchange;

    use super::*;

    fn nifty(step_ms: u64) -> PricePath {
        PricePath::new(
            42,
            13,
            0.13,
            step_ms,
            VarianceProfile::new(Exchange::Nse, Activity::Session),
        )
    }

    #[test]
    fn minute_and_day_points_join_up() {
        let mut p = nifty(250);
        let day = 20_000;
        let first_minute = day * MINUTES_PER_DAY as i64;
        let open = p.close_of(day - 1);
        assert!(
            (p.at_minute(first_minute) - open).abs() < 1e-12,
            "day opens at the last close"
        );
        let next = first_minute + MINUTES_PER_DAY as i64;
        assert!(
            (p.at_minute(next) - p.close_of(day)).abs() < 1e-12,
            "and closes at its own"
        );
        let k = p.first_step_of(day);
        assert!(
            (p.at_step(k) - open).abs() < 1e-12,
            "first step is the open"
        );
        let minute = first_minute + 600;
        let last_step = p.first_step_of(day) + 601 * 240 - 1;
        let next_point = p.at_minute(minute + 1);
        let gap = (p.at_step(last_step + 1) - next_point).abs();
        assert!(
            gap < 1e-12,
            "a minute's steps end on the next minute point: {gap}"
        );
    }

    #[test]
    fn same_inputs_same_path_whatever_the_order() {
        let mut a = nifty(250);
        let mut b = nifty(250);
        let k = a.first_step_of(20_000) + 123_456;
        let forward: Vec<f64> = (k..k + 500).map(|i| a.at_step(i)).collect();
        let backward: Vec<f64> = (k..k + 500).rev().map(|i| b.at_step(i)).collect();
        let backward: Vec<f64> = backward.into_iter().rev().collect();
        assert_eq!(forward, backward);
        let mut other = PricePath::new(
            43,
            13,
            0.13,
            250,
            VarianceProfile::new(Exchange::Nse, Activity::Session),
        );
        assert_ne!(other.at_step(k), forward[0], "another seed, another path");
    }

    #[test]
    fn closes_stay_near_the_start_price() {
        let p = nifty(250);
        let worst = (19_000..21_000)
            .map(|d| p.close_of(d).abs())
            .fold(0.0, f64::max);
        // Stationary sd is σ_day / √(1 − φ²) ≈ 2.6 %; 2,000 days stay well inside 15 %.
        assert!(worst < 0.15, "furthest close {worst}");
    }
}
