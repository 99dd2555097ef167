//! The emotion a line expresses (anger, anxiety, confusion) and a call's current emotion.
//!
//! The type lives in the model because transcript lines, events and calls carry it; the engine's analysis
//! (`engine::analysis::emotion`) decides it from the words of a line.

use serde::{Deserialize, Serialize};

use super::types::{Call, Speaker};

/// What a caller feels, beyond polarity: an angry caller and a worried one call for different help.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    /// Complaints, insults, "this is ridiculous", 气死了, 太过分了.
    Anger,
    /// Worry, fear, urgency: "I'm scared", "what do I do", 着急, 担心, 怎么办.
    Anxiety,
    /// Not understanding: "I don't understand", "what do you mean", 听不懂, 什么意思.
    Confusion,
}

impl Emotion {
    /// Every emotion, in the order ties are broken (anger first: it most needs a supervisor).
    pub const ALL: [Emotion; 3] = [Emotion::Anger, Emotion::Anxiety, Emotion::Confusion];

    /// The wire name: `anger`, `anxiety`, `confusion`.
    pub fn as_str(self) -> &'static str {
        match self {
            Emotion::Anger => "anger",
            Emotion::Anxiety => "anxiety",
            Emotion::Confusion => "confusion",
        }
    }

    /// How a person feeling it is described: `angry`, `anxious`, `confused`.
    pub fn adjective(self) -> &'static str {
        match self {
            Emotion::Anger => "angry",
            Emotion::Anxiety => "anxious",
            Emotion::Confusion => "confused",
        }
    }

    /// At most five characters, for narrow columns: `angry`, `anx.`, `conf.`.
    pub fn short(self) -> &'static str {
        match self {
            Emotion::Anger => "angry",
            Emotion::Anxiety => "anx.",
            Emotion::Confusion => "conf.",
        }
    }

    /// Parses a wire name (`anger`, `anxiety`, `confusion`), case-insensitively.
    pub fn parse(s: &str) -> Option<Emotion> {
        Emotion::ALL.into_iter().find(|e| e.as_str().eq_ignore_ascii_case(s))
    }
}

/// Caller lines without an emotion after which a call's emotion is over.
pub const EMOTION_CALM_LINES: usize = 2;

impl Call {
    /// The caller's current emotion: that of the caller's newest line with one, unless
    /// [`EMOTION_CALM_LINES`] caller lines without an emotion came after it. Agents' and supervisors' lines do not
    /// count. Read from the transcript, so the engine and every console mirror agree without extra state.
    pub fn emotion(&self) -> Option<Emotion> {
        let mut calm = 0;
        for l in self.transcript.iter().rev().filter(|l| l.speaker == Speaker::Caller) {
            if let Some(e) = l.emotion {
                return Some(e);
            }
            calm += 1;
            if calm >= EMOTION_CALM_LINES {
                return None;
            }
        }
        None
    }
}
