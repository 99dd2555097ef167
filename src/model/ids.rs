//! Identifiers. Numeric ids print (and travel on the wire) as short prefixed strings such as
//! `C-1042`, `A-07`, `AL-3`, `T-88`, so a supervisor can type them on the command line.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The text did not name an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a {kind} id (expected something like {example})")]
pub struct IdParseError {
    pub text: String,
    pub kind: &'static str,
    pub example: &'static str,
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $width:literal, $kind:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(pub u32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "-{:0w$}"), self.0, w = $width)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || IdParseError { text: s.to_string(), kind: $kind, example: $example };
                let t = s.trim();
                let digits = match t.get(..$prefix.len()) {
                    Some(p) if p.eq_ignore_ascii_case($prefix) => {
                        t[$prefix.len()..].strip_prefix('-').unwrap_or(&t[$prefix.len()..])
                    }
                    _ => t,
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                digits.parse().map($name).map_err(|_| err())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

numeric_id!(
    /// A call, printed `C-1042`.
    CallId, "C", 0, "call", "C-1042"
);
numeric_id!(
    /// An agent seat, printed `A-07`.
    AgentId, "A", 2, "agent", "A-07"
);
numeric_id!(
    /// An alert, printed `AL-3`.
    AlertId, "AL", 0, "alert", "AL-3"
);
numeric_id!(
    /// A ticket, printed `T-88`.
    TicketId, "T", 0, "ticket", "T-88"
);

/// A queue, named by the scenario (`emergency`, `billing`, ...).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueueId(pub String);

impl QueueId {
    pub fn new(s: impl Into<String>) -> Self {
        QueueId(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for QueueId {
    fn from(s: &str) -> Self {
        QueueId(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_back() {
        assert_eq!(CallId(1042).to_string(), "C-1042");
        assert_eq!(AgentId(7).to_string(), "A-07");
        assert_eq!(AgentId(123).to_string(), "A-123");
        assert_eq!("C-1042".parse::<CallId>(), Ok(CallId(1042)));
        assert_eq!("c1042".parse::<CallId>(), Ok(CallId(1042)));
        assert_eq!("a-07".parse::<AgentId>(), Ok(AgentId(7)));
        assert_eq!("AL-3".parse::<AlertId>(), Ok(AlertId(3)));
        assert_eq!("88".parse::<TicketId>(), Ok(TicketId(88)));
        assert!("X-1".parse::<CallId>().is_err());
        assert!("C-".parse::<CallId>().is_err());
        assert!("C-1x".parse::<CallId>().is_err());
    }

    #[test]
    fn ids_are_strings_on_the_wire() {
        assert_eq!(serde_json::to_string(&TicketId(88)).ok().as_deref(), Some("\"T-88\""));
        let back: Result<AgentId, _> = serde_json::from_str("\"A-07\"");
        assert_eq!(back.ok(), Some(AgentId(7)));
        let bad: Result<AgentId, _> = serde_json::from_str("7");
        assert!(bad.is_err());
    }
}
