//! Times of day in a scenario file (`start`, peak and shift windows), read once from `"HH:MM"` into seconds after
//! midnight so the engine never parses them again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// Seconds in a day: `"24:00"`, the end of the day.
const DAY_S: u32 = 24 * 3600;

/// A time of day, `00:00` to `24:00`, in seconds after midnight. `24:00` (the end of the day) is read everywhere,
/// and the validator refuses it where a time must start something (the scenario's `start`, a window's `from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// `24:00`, the end of the day: allowed only as the end of a window.
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(DAY_S);
    /// `00:00`.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);

    /// Seconds after midnight, 0..=86_400.
    pub fn secs(self) -> u32 {
        self.0
    }
}

/// A string that is not a time of day `"HH:MM"` (or `"H:MM"`) from `00:00` to `24:00`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a time of day like \"08:30\" (00:00 to 24:00)")]
pub struct BadTime(pub String);

impl FromStr for TimeOfDay {
    type Err = BadTime;

    /// Reads `HH:MM` or `H:MM`, strictly: two digits of minutes below 60, no spaces, at most `24:00`.
    fn from_str(s: &str) -> Result<TimeOfDay, BadTime> {
        let bad = || BadTime(s.to_string());
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        let digits = |t: &str, lens: &[usize]| lens.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(h, &[1, 2]) || !digits(m, &[2]) {
            return Err(bad());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m < 60 && h * 60 + m <= 24 * 60 { Ok(TimeOfDay(h * 3600 + m * 60)) } else { Err(bad()) }
    }
}

/// `HH:MM`, e.g. `08:30` or `24:00`.
impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, self.0 % 3600 / 60)
    }
}

/// From a TOML string `"HH:MM"`; anything else is refused with [`BadTime`]'s sentence (and `Scenario::parse` names
/// the key it belongs to and the range allowed there).
impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TimeOfDay, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The sentence for a time that does not fit where it is: `what` names the key, `end_ok` says whether `24:00` is
/// allowed there.
pub(super) fn not_a_time(what: &str, raw: &str, end_ok: bool) -> String {
    let range = if end_ok { "00:00 to 24:00" } else { "00:00 to 23:59" };
    format!("{what} = \"{raw}\" is not a time of day like \"08:30\" ({range})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<u32> {
        s.parse::<TimeOfDay>().ok().map(TimeOfDay::secs)
    }

    #[test]
    fn hhmm_times_are_strict() {
        assert_eq!(parse("08:30"), Some(8 * 3600 + 30 * 60));
        assert_eq!(parse("8:05"), Some(8 * 3600 + 5 * 60));
        assert_eq!(parse("24:00"), Some(24 * 3600));
        for bad in ["24:01", "08:60", "8:5", "08h30", " 8:30", "-1:00", "", "123:00"] {
            assert_eq!(parse(bad), None, "{bad:?} was read as a time");
        }
    }

    #[test]
    fn a_time_of_day_shows_as_hh_mm() {
        for (text, shown) in [("8:05", "08:05"), ("00:00", "00:00"), ("23:59", "23:59"), ("24:00", "24:00")] {
            let Ok(t) = text.parse::<TimeOfDay>() else { panic!("{text:?} was refused") };
            assert_eq!(t.to_string(), shown);
        }
        assert_eq!(TimeOfDay::END_OF_DAY.to_string(), "24:00");
    }
}
