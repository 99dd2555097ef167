//! Keymaps: which key asks for which [`Action`], per view. Built-in keymaps are the files in `keymaps/`,
//! compiled in; a user keymap is a file of the same shape.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::Deserialize;

use super::action::Action;
use super::config::{ConfigError, did_you_mean, read_named};

/// The built-in keymaps: (name, file text).
pub const BUILTIN: &[(&str, &str)] =
    &[("default", include_str!("../../keymaps/default.toml")), ("vim", include_str!("../../keymaps/vim.toml"))];

/// Where a binding applies: everywhere, or in one view.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    Floor,
    Calls,
    Call,
    Agents,
    Alerts,
    Tickets,
    Callbacks,
    Audit,
    /// An open dialog (reassign, set state, transfer, confirm).
    Dialog,
}

impl Context {
    /// Every context, as keymap sections name them.
    pub const ALL: [Context; 10] = [
        Context::Global,
        Context::Floor,
        Context::Calls,
        Context::Call,
        Context::Agents,
        Context::Alerts,
        Context::Tickets,
        Context::Callbacks,
        Context::Audit,
        Context::Dialog,
    ];
    /// The section name in keymap files.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Floor => "floor",
            Context::Calls => "calls",
            Context::Call => "call",
            Context::Agents => "agents",
            Context::Alerts => "alerts",
            Context::Tickets => "tickets",
            Context::Callbacks => "callbacks",
            Context::Audit => "audit",
            Context::Dialog => "dialog",
        }
    }
    fn from_name(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A key without modifiers, as keymap files name it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum KeyName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

const NAMED: &[(&str, KeyName)] = &[
    ("enter", KeyName::Enter),
    ("esc", KeyName::Esc),
    ("tab", KeyName::Tab),
    ("backtab", KeyName::BackTab),
    ("shift-tab", KeyName::BackTab),
    ("backspace", KeyName::Backspace),
    ("delete", KeyName::Delete),
    ("insert", KeyName::Insert),
    ("up", KeyName::Up),
    ("down", KeyName::Down),
    ("left", KeyName::Left),
    ("right", KeyName::Right),
    ("pageup", KeyName::PageUp),
    ("pagedown", KeyName::PageDown),
    ("home", KeyName::Home),
    ("end", KeyName::End),
    ("space", KeyName::Char(' ')),
];

/// A key with its ctrl / alt modifiers. Letters are case-sensitive: `A` is shift-a.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Key {
    pub name: KeyName,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// A plain character key.
    pub const fn char(c: char) -> Key {
        Key { name: KeyName::Char(c), ctrl: false, alt: false }
    }
    /// A named key without modifiers.
    pub const fn plain(name: KeyName) -> Key {
        Key { name, ctrl: false, alt: false }
    }
    /// Ctrl plus a character.
    pub const fn ctrl(c: char) -> Key {
        Key { name: KeyName::Char(c), ctrl: true, alt: false }
    }

    /// Parses a keymap key name: `q`, `?`, `A`, `enter`, `ctrl-c`, `alt-x`, `f1`, `space`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let name = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => KeyName::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, k)) = NAMED.iter().find(|(n, _)| *n == lower) {
                    *k
                } else if let Some(n) =
                    lower.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()).filter(|n| (1..=12).contains(n))
                {
                    KeyName::F(n)
                } else {
                    return Err(format!(
                        "'{s}' is not a key name: use a character (q, ?, A), a name ({}), f1..f12, with ctrl- or alt- in front if needed",
                        NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        };
        Ok(Key { name, ctrl, alt })
    }

    /// The key a terminal event stands for (None for releases and keys we do not bind).
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let name = match ev.code {
            KeyCode::Char(c) => KeyName::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Enter => KeyName::Enter,
            KeyCode::Esc => KeyName::Esc,
            KeyCode::Tab => KeyName::Tab,
            KeyCode::BackTab => KeyName::BackTab,
            KeyCode::Backspace => KeyName::Backspace,
            KeyCode::Delete => KeyName::Delete,
            KeyCode::Insert => KeyName::Insert,
            KeyCode::Up => KeyName::Up,
            KeyCode::Down => KeyName::Down,
            KeyCode::Left => KeyName::Left,
            KeyCode::Right => KeyName::Right,
            KeyCode::PageUp => KeyName::PageUp,
            KeyCode::PageDown => KeyName::PageDown,
            KeyCode::Home => KeyName::Home,
            KeyCode::End => KeyName::End,
            KeyCode::F(n) => KeyName::F(n),
            _ => return None,
        };
        Some(Key { name, ctrl, alt })
    }

    /// The terminal event for this key (for tests and scripted input).
    pub fn to_event(self) -> KeyEvent {
        let mut mods = KeyModifiers::NONE;
        if self.ctrl {
            mods |= KeyModifiers::CONTROL;
        }
        if self.alt {
            mods |= KeyModifiers::ALT;
        }
        let code = match self.name {
            KeyName::Char(c) => {
                if c.is_uppercase() {
                    mods |= KeyModifiers::SHIFT;
                }
                KeyCode::Char(c)
            }
            KeyName::Enter => KeyCode::Enter,
            KeyName::Esc => KeyCode::Esc,
            KeyName::Tab => KeyCode::Tab,
            KeyName::BackTab => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            KeyName::Backspace => KeyCode::Backspace,
            KeyName::Delete => KeyCode::Delete,
            KeyName::Insert => KeyCode::Insert,
            KeyName::Up => KeyCode::Up,
            KeyName::Down => KeyCode::Down,
            KeyName::Left => KeyCode::Left,
            KeyName::Right => KeyCode::Right,
            KeyName::PageUp => KeyCode::PageUp,
            KeyName::PageDown => KeyCode::PageDown,
            KeyName::Home => KeyCode::Home,
            KeyName::End => KeyCode::End,
            KeyName::F(n) => KeyCode::F(n),
        };
        KeyEvent::new(code, mods)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.name {
            KeyName::Char(' ') => f.write_str("space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::F(n) => write!(f, "f{n}"),
            other => {
                let name = NAMED.iter().find(|(_, k)| *k == other).map(|(n, _)| *n).unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

/// Dialog keys for keymaps without a [dialog] section (the default keymap's, minus its letters).
const DIALOG_DEFAULTS: &[(KeyName, Action)] = &[
    (KeyName::Enter, Action::Confirm),
    (KeyName::Char(' '), Action::Toggle),
    (KeyName::Esc, Action::Close),
    (KeyName::Down, Action::SelectNext),
    (KeyName::Up, Action::SelectPrev),
    (KeyName::Tab, Action::SelectNext),
    (KeyName::BackTab, Action::SelectPrev),
];

/// A loaded keymap: bindings per context, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    /// The name it was loaded by (`default`, `vim`, or a path).
    pub name: String,
    bindings: BTreeMap<Context, Vec<(Key, Action)>>,
}

impl Keymap {
    /// Loads a built-in keymap by name, or a keymap file by path.
    pub fn load(name_or_path: &str) -> anyhow::Result<Keymap> {
        let (file, text) = read_named("keymap", name_or_path, BUILTIN)?;
        let mut km = Keymap::parse(&text, &file)?;
        km.name = name_or_path.to_string();
        Ok(km)
    }

    /// The default keymap (compiled in; a broken built-in is a test failure, never a user's problem).
    pub fn builtin_default() -> Keymap {
        Keymap::parse(BUILTIN[0].1, "built-in keymap 'default'").unwrap_or_else(|_| Keymap::empty("default"))
    }

    fn empty(name: &str) -> Keymap {
        Keymap { name: name.to_string(), bindings: BTreeMap::new() }
    }

    /// Parses a keymap file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Keymap, ConfigError> {
        type Raw = BTreeMap<toml::Spanned<String>, BTreeMap<toml::Spanned<String>, toml::Spanned<String>>>;
        let raw: Raw = toml::from_str(text).map_err(|e| ConfigError::from_toml(file, text, &e))?;
        let mut km = Keymap::empty(file);
        for (section, entries) in raw {
            let Some(ctx) = Context::from_name(section.get_ref()) else {
                let names: Vec<&str> = Context::ALL.iter().map(|c| c.as_str()).collect();
                let hint = did_you_mean(section.get_ref(), names.iter().copied())
                    .map(|s| format!(" (did you mean [{s}]?)"))
                    .unwrap_or_default();
                return Err(ConfigError::at(
                    file,
                    text,
                    section.span().start,
                    Some(format!("[{}]", section.get_ref())),
                    format!("there is no section [{}]{hint}: the sections are {}", section.get_ref(), names.join(", ")),
                ));
            };
            let list = km.bindings.entry(ctx).or_default();
            // Keep the file's order: help lists bindings as the author wrote them.
            let mut entries: Vec<_> = entries.into_iter().collect();
            entries.sort_by_key(|(k, _)| k.span().start);
            for (key, action) in entries {
                let quoted = Some(format!("\"{}\"", key.get_ref()));
                let k = Key::parse(key.get_ref())
                    .map_err(|m| ConfigError::at(file, text, key.span().start, quoted.clone(), m))?;
                let Some(a) = Action::from_name(action.get_ref()) else {
                    let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    let hint = did_you_mean(action.get_ref(), names.iter().copied())
                        .map(|s| format!(" (did you mean '{s}'?)"))
                        .unwrap_or_default();
                    return Err(ConfigError::at(
                        file,
                        text,
                        action.span().start,
                        quoted,
                        format!(
                            "'{}' is not an action{hint}; keymaps/default.toml names every action",
                            action.get_ref()
                        ),
                    ));
                };
                if list.iter().any(|(k2, _)| *k2 == k) {
                    return Err(ConfigError::at(
                        file,
                        text,
                        key.span().start,
                        quoted,
                        format!("{k} is bound twice in [{}]: keep one binding", ctx.as_str()),
                    ));
                }
                list.push((k, a));
            }
        }
        // A keymap written before dialogs had a section of their own still works in them.
        km.bindings
            .entry(Context::Dialog)
            .or_insert_with(|| DIALOG_DEFAULTS.iter().map(|(k, a)| (Key::plain(*k), *a)).collect());
        Ok(km)
    }

    /// The action `key` asks for in `ctx`: the view's own bindings first, then the global ones.
    pub fn lookup(&self, ctx: Context, key: Key) -> Option<Action> {
        let find = |c: Context| self.bindings.get(&c).and_then(|l| l.iter().find(|(k, _)| *k == key).map(|(_, a)| *a));
        find(ctx).or_else(|| if ctx == Context::Global { None } else { find(Context::Global) })
    }

    /// Bindings of one context, in file order.
    pub fn bindings(&self, ctx: Context) -> &[(Key, Action)] {
        self.bindings.get(&ctx).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key bound to `action` in `ctx` or globally, for hints.
    pub fn key_for(&self, ctx: Context, action: Action) -> Option<Key> {
        let find = |c: Context| {
            self.bindings(c).iter().find(|(k, a)| *a == action && self.lookup(ctx, *k) == Some(action)).map(|(k, _)| *k)
        };
        find(ctx).or_else(|| find(Context::Global))
    }

    /// Every action bound anywhere.
    pub fn actions(&self) -> impl Iterator<Item = Action> + '_ {
        self.bindings.values().flat_map(|l| l.iter().map(|(_, a)| *a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_parse_and_print_back() {
        for s in ["q", "?", ":", "A", "enter", "esc", "ctrl-c", "alt-x", "f5", "space", "pagedown", "backtab"] {
            let k = Key::parse(s);
            let Ok(k) = k else { panic!("{s} should parse") };
            assert_eq!(k.to_string(), s);
            assert_eq!(Key::from_event(&k.to_event()), Some(k), "{s} round-trips through a terminal event");
        }
        assert_eq!(Key::parse("ctrl-C"), Ok(Key::ctrl('c')));
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("f13").is_err());
    }

    #[test]
    fn view_bindings_win_over_global_ones() {
        let km = Keymap::parse("[global]\nq = \"quit\"\n[calls]\nq = \"close\"\n", "t.toml");
        let Ok(km) = km else { panic!("keymap should parse") };
        assert_eq!(km.lookup(Context::Calls, Key::char('q')), Some(Action::Close));
        assert_eq!(km.lookup(Context::Floor, Key::char('q')), Some(Action::Quit));
        assert_eq!(km.lookup(Context::Floor, Key::char('z')), None);
    }
}
