//! Keymap and theme files: every built-in loads and is complete, the keymaps keep the promised keys, every
//! action a keymap may name is listed (so keymaps and the Action enum cannot drift apart), and a bad file is
//! reported with its file, line and key.

mod console_support;

use callfloor::console::action::Action;
use callfloor::console::config::{UiFlags, UserConfig};
use callfloor::console::keymap::{self, Context, Key, Keymap};
use callfloor::console::theme::{self, S, Theme};
use callfloor::console::{ConfigError, ConsoleOptions};
use console_support::snapshot_settings;

#[test]
fn every_builtin_keymap_loads_and_keeps_the_promised_keys() {
    for (name, _) in keymap::BUILTIN {
        let km = Keymap::load(name);
        let Ok(km) = km else { panic!("built-in keymap {name} must load: {:?}", km.err()) };
        let promised = [
            ("1", Action::ViewFloor),
            ("2", Action::ViewCalls),
            ("3", Action::ViewAgents),
            ("4", Action::ViewAlerts),
            ("5", Action::ViewTickets),
            ("6", Action::ViewCallbacks),
            ("7", Action::ViewAudit),
            ("?", Action::ToggleHelp),
            (":", Action::OpenCommandLine),
            ("esc", Action::Close),
            ("q", Action::Quit),
        ];
        for ctx in Context::ALL {
            for (key, action) in promised {
                let k = Key::parse(key).unwrap_or(Key::char('\0'));
                assert_eq!(
                    km.lookup(ctx, k),
                    Some(action),
                    "{name}: {key} must be {} in [{}]",
                    action.name(),
                    ctx.as_str()
                );
            }
        }
        for ctx in [Context::Calls, Context::Agents, Context::Alerts, Context::Tickets] {
            assert_eq!(
                km.lookup(ctx, Key::plain(keymap::KeyName::Enter)),
                Some(Action::OpenCall),
                "{name}: enter opens the call"
            );
        }
    }
}

#[test]
fn the_default_keymap_binds_every_action() {
    let km = Keymap::builtin_default();
    let bound: std::collections::BTreeSet<Action> = km.actions().collect();
    let missing: Vec<&str> = Action::ALL.iter().filter(|a| !bound.contains(a)).map(|a| a.name()).collect();
    assert!(missing.is_empty(), "actions with no key in keymaps/default.toml: {missing:?}");
}

#[test]
fn action_names_keymaps_may_use() {
    let names: Vec<String> = Action::ALL.iter().map(|a| format!("{:<20} {}", a.name(), a.describe())).collect();
    let unique: std::collections::BTreeSet<&Action> = Action::ALL.iter().collect();
    assert_eq!(unique.len(), Action::ALL.len(), "Action::ALL lists each action once");
    for a in Action::ALL {
        assert_eq!(Action::from_name(a.name()), Some(*a), "{} parses back", a.name());
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("keymap_action_names", names.join("\n")));
}

#[test]
fn every_builtin_theme_loads_and_styles_every_element() {
    for (name, text) in theme::BUILTIN {
        let t = Theme::load(name);
        assert!(t.is_ok(), "built-in theme {name} must load: {:?}", t.err());
        let set = Theme::set_keys(text);
        let missing: Vec<&str> = S::ALL.iter().map(|s| s.name()).filter(|n| !set.iter().any(|k| k == n)).collect();
        assert!(missing.is_empty(), "themes/{name}.toml leaves out {missing:?}");
    }
    assert_eq!(theme::choose(None, true).map(|t| t.name).ok(), Some("mono".to_string()), "NO_COLOR picks mono");
    assert_eq!(theme::choose(None, false).map(|t| t.name).ok(), Some("default".to_string()));
    assert_eq!(theme::choose(Some("light"), true).map(|t| t.name).ok(), Some("light".to_string()), "a flag wins");
}

fn keymap_err(text: &str) -> ConfigError {
    match Keymap::parse(text, "my-keys.toml") {
        Ok(_) => panic!("this keymap must be refused:\n{text}"),
        Err(e) => e,
    }
}

fn theme_err(text: &str) -> ConfigError {
    match Theme::parse(text, "my-theme.toml") {
        Ok(_) => panic!("this theme must be refused:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn bad_keymaps_are_reported_with_file_line_and_key() {
    let e = keymap_err("[global]\nq = \"quit\"\n[calls]\nb = \"barg\"\n");
    assert_eq!((e.file.as_str(), e.line, e.key.as_deref()), ("my-keys.toml", 4, Some("\"b\"")));
    assert!(e.message.contains("'barg' is not an action (did you mean 'barge'?)"), "{e}");
    assert!(e.to_string().starts_with("my-keys.toml, line 4, key \"b\": "), "{e}");

    let e = keymap_err("[global]\n\nhyper-x = \"quit\"\n");
    assert_eq!((e.line, e.key.as_deref()), (3, Some("\"hyper-x\"")));
    assert!(e.message.contains("not a key name"), "{e}");

    let e = keymap_err("[global]\nq = \"quit\"\n\n[cals]\nj = \"select_next\"\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("[cals]")));
    assert!(e.message.contains("did you mean [calls]"), "{e}");

    let e = keymap_err("[global]\nq = \"quit\"\nq = \"close\"\n");
    assert_eq!(e.line, 3, "a duplicate key is a TOML error at its line: {e}");

    let e = keymap_err("[global]\nctrl-c = \"quit\"\nCTRL-c = \"close\"\n");
    assert_eq!((e.line, e.key.as_deref()), (3, Some("\"CTRL-c\"")));
    assert!(e.message.contains("bound twice"), "{e}");

    let e = keymap_err("[global]\nq = quit\n");
    assert_eq!(e.line, 2, "a TOML syntax error names its line: {e}");
}

#[test]
fn bad_themes_are_reported_with_file_line_and_key() {
    let e = theme_err(
        "[palette]\nfg = \"white\"\n[styles]\n\"ui.text\" = \"fg\"\n\"queue.sla_breach\" = { fg = \"crimsn\" }\n",
    );
    assert_eq!((e.file.as_str(), e.line, e.key.as_deref()), ("my-theme.toml", 5, Some("\"queue.sla_breach\"")));
    assert!(e.message.contains("'crimsn' is not a colour"), "{e}");
    assert!(e.message.contains("palette name (fg)"), "{e}");

    let e = theme_err("[palette]\nbad = \"#12345\"\n");
    assert_eq!((e.line, e.key.as_deref()), (2, Some("palette.bad")));

    let e = theme_err("[styles]\n\"ui.txt\" = \"red\"\n");
    assert_eq!((e.line, e.key.as_deref()), (2, Some("\"ui.txt\"")));
    assert!(e.message.contains("did you mean \"ui.text\""), "{e}");

    let e = theme_err("[styles]\n\"ui.text\" = { fg = \"red\", modifiers = [\"blink\"] }\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("'blink' is not a modifier"), "{e}");

    let e = theme_err("[colors]\nfg = \"red\"\n");
    assert_eq!(e.line, 1, "an unknown section is refused: {e}");
}

#[test]
fn files_are_read_from_paths_and_unknown_names_are_explained() {
    let dir = std::env::temp_dir().join(format!("callfloor-console-config-{}", std::process::id()));
    assert!(std::fs::create_dir_all(&dir).is_ok());
    let path = dir.join("keys.toml");
    assert!(std::fs::write(&path, "[global]\nq = \"quit\"\nx = \"explode\"\n").is_ok());
    let e = Keymap::load(&path.display().to_string()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.starts_with(&format!("{}, line 3, key \"x\"", path.display())), "{e}");
    let e = Theme::load("solarized").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("no built-in theme 'solarized'") && e.contains("high-contrast"), "{e}");
    let e = Theme::load("missing/theme.toml").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("cannot read the theme file missing/theme.toml"), "{e}");

    // The config file: flags win over it; it wins over the defaults.
    let cfg = UserConfig::parse("theme = \"high-contrast\"\nkeymap = \"vim\"\nbell = false\n", "config.toml");
    let Ok(cfg) = cfg else { panic!("a good config parses") };
    let o = ConsoleOptions::resolve(&UiFlags::default(), &cfg);
    let Ok(o) = o else { panic!("options resolve") };
    assert_eq!((o.theme.name.as_str(), o.keymap.name.as_str(), o.bell), ("high-contrast", "vim", false));
    let flags = UiFlags { theme: Some("light"), keymap: Some("default"), ..UiFlags::default() };
    let o = ConsoleOptions::resolve(&flags, &cfg);
    let Ok(o) = o else { panic!("options resolve") };
    assert_eq!((o.theme.name.as_str(), o.keymap.name.as_str()), ("light", "default"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mouse_and_confirmations_come_from_the_config_file_and_the_flags() {
    let Ok(cfg) = UserConfig::parse("mouse = false\nconfirm = false\n", "config.toml") else {
        panic!("mouse and confirm are settings")
    };
    assert_eq!((cfg.mouse, cfg.confirm), (Some(false), Some(false)));
    let Ok(o) = ConsoleOptions::resolve(&UiFlags::default(), &cfg) else { panic!("options resolve") };
    assert_eq!((o.mouse, o.confirm), (false, false), "the config file turns them off");

    let Ok(o) = ConsoleOptions::resolve(&UiFlags::default(), &UserConfig::default()) else { panic!("options resolve") };
    assert_eq!((o.mouse, o.confirm), (true, true), "both are on by default");
    let flags = UiFlags { no_mouse: true, no_confirm: true, ..UiFlags::default() };
    let Ok(o) = ConsoleOptions::resolve(&flags, &UserConfig::default()) else { panic!("options resolve") };
    assert_eq!((o.mouse, o.confirm), (false, false), "--no-mouse and --no-confirm turn them off");
    let Ok(cfg) = UserConfig::parse("mouse = true\nconfirm = true\n", "config.toml") else { panic!("parses") };
    let Ok(o) = ConsoleOptions::resolve(&flags, &cfg) else { panic!("options resolve") };
    assert_eq!((o.mouse, o.confirm), (false, false), "a flag wins over the config file");
}

#[test]
fn a_mistyped_config_key_is_reported_with_file_line_and_key() {
    let err = UserConfig::parse("theme = \"light\"\n\nmosue = false\n", "/home/sup/.config/callfloor/config.toml");
    let Err(e) = err else { panic!("an unknown key must be refused") };
    assert_eq!(
        (e.file.as_str(), e.line, e.key.as_deref()),
        ("/home/sup/.config/callfloor/config.toml", 3, Some("mosue"))
    );
    assert_eq!(
        e.to_string(),
        "/home/sup/.config/callfloor/config.toml, line 3, key mosue: 'mosue' is not a setting (did you mean 'mouse'?)"
    );

    let Err(e) = UserConfig::parse("colour = \"red\"\n", "config.toml") else { panic!("refused") };
    assert_eq!((e.line, e.key.as_deref()), (1, Some("colour")));
    assert!(e.message.contains("the settings are theme, keymap, bell, mouse, confirm"), "{e}");

    let Err(e) = UserConfig::parse("bell = true\nconfirm = \"no\"\n", "config.toml") else { panic!("refused") };
    assert_eq!(e.line, 2, "a value of the wrong type names its line: {e}");
}
