//! The console shows a caller's emotion as words, so it reads at 80x24 and without colour (NO_COLOR, the mono
//! theme): `[anxious]` on the transcript line, the call's current emotion by its sentiment heading, and the calls
//! list's sentiment cell (`-0.80 anx.`); two calm caller lines later it is gone from the call and the list.

mod console_support;

use callfloor::client::Update;
use callfloor::console::theme::Theme;
use callfloor::model::*;
use console_support::*;

fn said(at: Time, call: CallId, text: &str, sentiment: f32, emotion: Option<Emotion>) -> Event {
    Event {
        at,
        kind: EventKind::Utterance {
            call,
            speaker: Speaker::Caller,
            text: text.into(),
            sentiment,
            emotion,
            whisper: false,
            by: None,
        },
    }
}

fn screen(app: &callfloor::console::app::App) -> String {
    draw(app, 80, 24).backend().to_string()
}

/// The row of `call` in the drawn calls list.
fn calls_row(app: &callfloor::console::app::App, call: CallId) -> String {
    let tall = (app.floor().calls.len() as u16 + 12).max(24);
    let t = draw(app, 80, tall);
    let id = call.to_string();
    let found = rows(&t).into_iter().find(|r| r.contains(&format!("│{id} ")));
    found.unwrap_or_else(|| panic!("{id} is listed:\n{}", t.backend()))
}

#[test]
fn the_call_and_the_calls_list_name_the_callers_emotion_in_words_until_the_caller_calms_down() {
    let mut f = feed();
    let mut app = attach(&mut f);
    app.theme = Theme::builtin("mono");
    let call = connected_call(app.floor());
    let now = app.floor().time();
    let events = vec![said(now, call, "他呼吸困难，我好害怕，怎么办", -0.8, Some(Emotion::Anxiety))];
    app.apply_update(Update::Events { from_seq: app.floor().seq, events });
    assert_eq!(app.floor().calls[&call].emotion(), Some(Emotion::Anxiety));

    press(&mut app, "2");
    app.refresh_all();
    let row = calls_row(&app, call);
    assert!(row.contains(" anx. "), "the narrow list names the emotion in place of the bar: {row}");

    let _ = app.run_command_line(&format!("call {call}"));
    let s = screen(&app);
    assert!(s.contains(" sentiment anxious "), "the call's current emotion by its heading:\n{s}");
    assert!(s.contains("[anxious] 他呼吸困难"), "the line's emotion before its text:\n{s}");

    // Two calm caller lines: the call's emotion is over, the old line keeps its tag.
    let events = vec![said(now, call, "好的，我明白了", 0.1, None), said(now, call, "救护车到了，谢谢你们", 0.6, None)];
    app.apply_update(Update::Events { from_seq: app.floor().seq, events });
    let s = screen(&app);
    assert!(!s.contains("sentiment anxious"), "{EMOTION_CALM_LINES} calm lines end it:\n{s}");
    assert!(s.contains("[anxious] 他呼吸困难"), "the line said in fear keeps its tag:\n{s}");
    press(&mut app, "2");
    app.refresh_all();
    let row = calls_row(&app, call);
    assert!(!row.contains("anx."), "{row}");
}
