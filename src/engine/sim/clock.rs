//! Floor time. The engine itself only ever moves to a time it is given (`Engine::advance_to`); a clock decides
//! which time that is: the wall clock scaled by a speed in live runs, a simulated clock in tests and headless runs.

use std::time::Instant;

use chrono::Duration;

use crate::model::Time;

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
            Ok(v) if v > 0.0 && v.is_finite() => Ok(Speed::Times(v)),
            _ => Err(format!("'{s}' is not a speed: give a positive number such as 1, 20 or 60, or 'max'")),
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

/// A clock that moves only when told to: for tests and headless runs.
#[derive(Debug, Clone)]
pub struct SimClock {
    now: Time,
}

impl SimClock {
    pub fn new(start: Time) -> Self {
        SimClock { now: start }
    }
    pub fn advance(&mut self, by: Duration) -> Time {
        self.now += by;
        self.now
    }
}

impl Clock for SimClock {
    fn now(&mut self) -> Time {
        self.now
    }
}

/// Parses a duration such as `60m`, `90s`, `2h`, `1h30m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("'{s}' is not a duration: write it like 90s, 60m, 2h or 1h30m");
    let t = s.trim();
    if t.is_empty() {
        return Err(err());
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(Duration::seconds(n as i64));
    }
    let mut total = 0i64;
    let mut num = String::new();
    for ch in t.chars() {
        if ch.is_ascii_digit() {
            num.push(ch);
            continue;
        }
        let n: i64 = num.parse().map_err(|_| err())?;
        num.clear();
        total += match ch {
            'h' | 'H' => n * 3600,
            'm' | 'M' => n * 60,
            's' | 'S' => n,
            _ => return Err(err()),
        };
    }
    if !num.is_empty() {
        return Err(err());
    }
    Ok(Duration::seconds(total))
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
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("60".parse::<Speed>(), Ok(Speed::Times(60.0)));
        assert_eq!("20x".parse::<Speed>(), Ok(Speed::Times(20.0)));
        assert!("0".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
    }
}
