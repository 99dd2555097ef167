//! Themes: a palette of named colours, then a style per UI element (helix's `[palette]` + named styles).
//! Built-in themes are the files in `themes/`, compiled in; a user theme is a file of the same shape.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::config::{ConfigError, did_you_mean, read_named};

/// The built-in themes: (name, file text). The first is the default.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

macro_rules! style_keys {
    ($($variant:ident = $name:literal,)*) => {
        /// A styled element of the UI; theme files name these (`"queue.sla_breach"`).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[repr(usize)]
        pub enum S { $($variant,)* }

        impl S {
            /// Every style key, in file order.
            pub const ALL: &'static [S] = &[$(S::$variant,)*];
            /// The name theme files use.
            pub fn name(self) -> &'static str {
                match self { $(S::$variant => $name,)* }
            }
        }
    };
}

style_keys! {
    Text = "ui.text",
    Muted = "ui.muted",
    Border = "ui.border",
    Title = "ui.title",
    Header = "ui.header",
    Tab = "ui.tab",
    TabActive = "ui.tab.active",
    Selected = "ui.selected",
    Hint = "ui.hint",
    Stale = "ui.stale",
    Dialog = "ui.dialog",
    Input = "ui.input",
    ToastOk = "ui.toast.ok",
    ToastError = "ui.toast.error",
    Spark = "ui.spark",
    ConnOk = "conn.connected",
    ConnWait = "conn.connecting",
    ConnDown = "conn.disconnected",
    QueueOk = "queue.ok",
    QueueWarn = "queue.warn",
    QueueBreach = "queue.sla_breach",
    SentPositive = "sentiment.positive",
    SentNeutral = "sentiment.neutral",
    SentNegative = "sentiment.negative",
    SevInfo = "severity.info",
    SevWarning = "severity.warning",
    SevCritical = "severity.critical",
    AlertBanner = "alert.urgent",
    AgentAvailable = "agent.available",
    AgentRinging = "agent.ringing",
    AgentOnCall = "agent.on_call",
    AgentWrapUp = "agent.wrap_up",
    AgentBreak = "agent.break",
    AgentOffline = "agent.offline",
    CallUrgent = "call.urgent",
    CallRisk = "call.risk",
    RuleHit = "call.rule_hit",
    Supervisor = "call.supervisor",
    SpeakerCaller = "speaker.caller",
    SpeakerAgent = "speaker.agent",
    SpeakerIvr = "speaker.ivr",
    SpeakerSupervisor = "speaker.supervisor",
    TicketOverdue = "ticket.overdue",
    TicketDueSoon = "ticket.due_soon",
    AuditOk = "audit.ok",
    AuditError = "audit.error",
}

/// A loaded theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// The name it was loaded by.
    pub name: String,
    styles: Vec<Style>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[serde(default)]
    palette: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<toml::Spanned<String>, toml::Spanned<RawStyle>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawStyle {
    Fg(String),
    Full {
        #[serde(default)]
        fg: Option<String>,
        #[serde(default)]
        bg: Option<String>,
        #[serde(default)]
        modifiers: Vec<String>,
    },
}

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
    ("slow_blink", Modifier::SLOW_BLINK),
];

impl Theme {
    /// Loads a built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> anyhow::Result<Theme> {
        let (file, text) = read_named("theme", name_or_path, BUILTIN)?;
        let mut t = Theme::parse(&text, &file)?;
        t.name = name_or_path.to_string();
        Ok(t)
    }

    /// A built-in theme by name (the default theme for an unknown name; built-ins are checked by tests).
    pub fn builtin(name: &str) -> Theme {
        let (n, text) = BUILTIN.iter().find(|(n, _)| *n == name).unwrap_or(&BUILTIN[0]);
        let mut t = Theme::parse(text, n).unwrap_or_else(|_| Theme::plain(n));
        t.name = n.to_string();
        t
    }

    /// A theme with no styles at all.
    pub fn plain(name: &str) -> Theme {
        Theme { name: name.to_string(), styles: vec![Style::default(); S::ALL.len()] }
    }

    /// Parses a theme file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Theme, ConfigError> {
        let raw: RawTheme = toml::from_str(text).map_err(|e| ConfigError::from_toml(file, text, &e))?;
        let mut palette: BTreeMap<String, Color> = BTreeMap::new();
        for (name, value) in &raw.palette {
            let c = Color::from_str(value.get_ref()).map_err(|_| {
                ConfigError::at(
                    file,
                    text,
                    value.span().start,
                    Some(format!("palette.{}", name.get_ref())),
                    bad_colour(value.get_ref()),
                )
            })?;
            palette.insert(name.get_ref().clone(), c);
        }
        let colour = |v: &str, offset: usize, key: &str| -> Result<Color, ConfigError> {
            palette.get(v).copied().or_else(|| Color::from_str(v).ok()).ok_or_else(|| {
                let mut msg = bad_colour(v);
                if !palette.is_empty() {
                    let names: Vec<&str> = palette.keys().map(String::as_str).collect();
                    msg.push_str(&format!(", or a palette name ({})", names.join(", ")));
                }
                ConfigError::at(file, text, offset, Some(format!("\"{key}\"")), msg)
            })
        };
        let mut theme = Theme::plain(file);
        for (key, value) in &raw.styles {
            let k = key.get_ref();
            let Some(s) = S::ALL.iter().find(|s| s.name() == k) else {
                let hint = did_you_mean(k, S::ALL.iter().map(|s| s.name()))
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                return Err(ConfigError::at(
                    file,
                    text,
                    key.span().start,
                    Some(format!("\"{k}\"")),
                    format!("there is no style \"{k}\"{hint}; themes/default.toml lists every style"),
                ));
            };
            let at = value.span().start;
            let style = match value.get_ref() {
                RawStyle::Fg(fg) => Style::default().fg(colour(fg, at, k)?),
                RawStyle::Full { fg, bg, modifiers } => {
                    let mut st = Style::default();
                    if let Some(fg) = fg {
                        st = st.fg(colour(fg, at, k)?);
                    }
                    if let Some(bg) = bg {
                        st = st.bg(colour(bg, at, k)?);
                    }
                    for m in modifiers {
                        let Some((_, md)) = MODIFIERS.iter().find(|(n, _)| n == m) else {
                            let names: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
                            return Err(ConfigError::at(
                                file,
                                text,
                                at,
                                Some(format!("\"{k}\"")),
                                format!("'{m}' is not a modifier: use {}", names.join(", ")),
                            ));
                        };
                        st = st.add_modifier(*md);
                    }
                    st
                }
            };
            theme.styles[*s as usize] = style;
        }
        Ok(theme)
    }

    /// The style of a UI element.
    #[inline]
    pub fn get(&self, s: S) -> Style {
        self.styles.get(s as usize).copied().unwrap_or_default()
    }

    /// Names of the style keys a theme file sets, for tests that check every built-in is complete.
    pub fn set_keys(text: &str) -> Vec<String> {
        toml::from_str::<RawTheme>(text)
            .map(|r| r.styles.keys().map(|k| k.get_ref().clone()).collect())
            .unwrap_or_default()
    }
}

fn bad_colour(v: &str) -> String {
    format!(
        "'{v}' is not a colour: use a name (red, lightred, darkgray, reset, ...), #rrggbb, or a 0-255 palette index"
    )
}

/// The theme to start with: the one asked for, else mono when `NO_COLOR` is set (and not empty), else default.
pub fn choose(asked: Option<&str>, no_color: bool) -> anyhow::Result<Theme> {
    match asked {
        Some(name) => Theme::load(name),
        None if no_color => Ok(Theme::builtin("mono")),
        None => Ok(Theme::builtin("default")),
    }
}
