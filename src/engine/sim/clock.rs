//! Floor time. The engine itself only ever moves to a time it is given (`Engine::advance_to`); a clock decides
//! which time that is: the wall clock scaled by a speed in live runs; tests and headless `max` runs step it directly.

use std::time::Instant;

use chrono::Duration;

use crate::model::Time;

/// Fastest paced speed (floor-seconds per wall-second); beyond it, use `max`.
pub const MAX_SPEED: f64 = 100_000.0;

/// How fast floor time runs against wall time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// `n` floor-seconds per wall-second.
    Times(f64),
    /// As fast as the CPU allows.
    Max,
}

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let t = s.trim().trim_end_matches(['x', 'X']);
        match t.parse::<f64>() {
            Ok(v) if v > 0.0 && v <= MAX_SPEED => Ok(Speed::Times(v)),
            _ => Err(format!(
                "'{s}' is not a speed: give a positive number up to {MAX_SPEED} such as 1, 20 or 60, or 'max'"
            )),
        }
    }
}

/// Something that says what floor time it is.
pub trait Clock {
    fn now(&mut self) -> Time;
}

/// Wall time scaled by a speed, starting at a given floor time.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    start_floor: Time,
    start_wall: Instant,
    speed: f64,
}

impl ScaledClock {
    pub fn new(start_floor: Time, speed: f64) -> Self {
        ScaledClock { start_floor, start_wall: Instant::now(), speed }
    }
}

impl Clock for ScaledClock {
    fn now(&mut self) -> Time {
        let wall = self.start_wall.elapsed().as_secs_f64() * self.speed;
        self.start_floor + super::secs_to_duration(wall)
    }
}

/// Longest floor time a run may be given: a year (longer runs would overflow floor time).
pub const MAX_DURATION_S: i64 = 366 * 86_400;

/// Parses a duration such as `60m`, `90s`, `2h`, `1h30m` or a bare number of seconds, up to a year.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("'{s}' is not a duration: write it like 90s, 60m, 2h or 1h30m (at most 366 days)");
    let t = s.trim();
    if t.is_empty() {
        return Err(err());
    }
    let total = if let Ok(n) = t.parse::<i64>() {
        n
    } else {
        let mut total = 0i64;
        let mut num = String::new();
        for ch in t.chars() {
            if ch.is_ascii_digit() {
                num.push(ch);
                continue;
            }
            let n: i64 = num.parse().map_err(|_| err())?;
            num.clear();
            let unit = match ch {
                'h' | 'H' => 3600,
                'm' | 'M' => 60,
                's' | 'S' => 1,
                _ => return Err(err()),
            };
            total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(err)?;
        }
        if !num.is_empty() {
            return Err(err());
        }
        total
    };
    if !(0..=MAX_DURATION_S).contains(&total) {
        return Err(err());
    }
    Duration::try_seconds(total).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_speeds_parse() {
        assert_eq!(parse_duration("60m"), Ok(Duration::minutes(60)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("45"), Ok(Duration::seconds(45)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999999").is_err(), "absurd durations are refused, not a panic");
        assert!(parse_duration("9999999999999h").is_err());
        assert!("1e300".parse::<Speed>().is_err(), "absurd speeds are refused, not an overflow");
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("60".parse::<Speed>(), Ok(Speed::Times(60.0)));
        assert_eq!("20x".parse::<Speed>(), Ok(Speed::Times(20.0)));
        assert!("0".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
    }
}
