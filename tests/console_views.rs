//! Every console view drawn from a fixed seeded floor, at 80x24 (the SSH minimum) and 160x48, as insta
//! snapshots in `snapshots/`; and the colours text snapshots cannot show, checked cell by cell.

mod console_support;

use callfloor::client::{ConnState, Update};
use callfloor::console::app::{App, View};
use callfloor::console::theme::Theme;
use callfloor::model::*;
use console_support::*;
use ratatui::style::{Color, Modifier};

/// The App every snapshot starts from: the hospital floor after 20 floor-minutes, with a barge, an ack and a
/// refused command already in the audit log. Which call, alert and queue they touch is read from the floor, so
/// a re-tuned scenario changes the pictures, not the test.
fn fixed() -> App {
    let mut feed = callfloor::local::LocalFeed::new(hospital(WARM_MINUTES - 3));
    let mut app = attach(&mut feed);
    // Watch three floor-minutes, in 10-second batches, so the console has counted arrivals itself.
    for _ in 0..18 {
        if let Some(u) = feed.step(chrono::Duration::seconds(10)) {
            app.apply_update(u);
        }
        app.refresh_all();
    }
    let ready = |f: &Floor| {
        unanswered_call(f).is_some() && f.calls.values().any(|c| c.state == CallState::Connected && c.agent.is_some())
    };
    watch_until(&mut app, &mut feed, "a connected call and an unanswered one", ready);
    // And the engine's figures for now, as its once-a-second metrics frame would bring them.
    app.apply_update(feed.metrics());
    // Barge into a connected call (an urgent one if any), ack the newest critical alert, and try something the
    // engine refuses: barging into a call nobody has answered.
    let call = connected_call(app.floor());
    let alert = newest_open_alert(app.floor(), Severity::Critical);
    let waiting = waiting_call(app.floor());
    for line in [format!("barge {call}"), format!("ack {alert}"), format!("barge {waiting}")] {
        let out = app.run_command_line(&line);
        assert_eq!(out.len(), 1, "{line} sends one command");
        deliver(&mut app, &mut feed, out);
    }
    assert_eq!(app.my_mode(call), Some(SupervisorMode::Barge));
    assert!(app.floor().alerts.get(&alert).is_some_and(|a| a.acked.is_some()));
    let outcomes: Vec<bool> = app.floor().audit.iter().rev().take(3).map(|e| e.ok).collect();
    assert_eq!(outcomes, vec![false, true, true], "the barge and the ack went through, the last barge did not");
    app.message_ttl = 0;
    press(&mut app, "1");
    app
}

fn shot(app: &App, w: u16, h: u16) -> String {
    draw(app, w, h).backend().to_string()
}

fn snap_all_sizes(name: &str, app: &App) {
    let settings = snapshot_settings();
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}_80x24"), shot(app, 80, 24));
        insta::assert_snapshot!(format!("{name}_160x48"), shot(app, 160, 48));
    });
}

#[test]
fn floor_view() {
    let mut app = fixed();
    app.show_hint = true;
    snap_all_sizes("floor", &app);
}

#[test]
fn calls_view() {
    let mut app = fixed();
    press(&mut app, "2");
    snap_all_sizes("calls", &app);
}

#[test]
fn calls_view_filtered_and_sorted_by_priority() {
    let mut app = fixed();
    // Filter on the queue holding the most live calls, among those whose name no other call's row mentions (the
    // filter matches any column: id, queue, state, agent, intent, language).
    let mentions = |c: &Call, q: &QueueId| {
        let row = [
            c.id.to_string(),
            c.queue.as_ref().map(|x| x.to_string()).unwrap_or_default(),
            c.state.as_str().to_string(),
            c.agent.map(|a| a.to_string()).unwrap_or_default(),
            c.intent.clone(),
            c.lang.as_str().to_string(),
        ];
        row.iter().any(|f| f.to_lowercase().contains(&q.as_str().to_lowercase()))
    };
    let calls: Vec<&Call> = app.floor().calls.values().collect();
    let busiest = app
        .floor()
        .queues
        .iter()
        .map(|q| &q.id)
        .filter(|q| calls.iter().all(|c| c.queue.as_ref() == Some(*q) || !mentions(c, q)))
        .map(|q| (calls.iter().filter(|c| c.queue.as_ref() == Some(q)).count(), q))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, q)| (*n, std::cmp::Reverse(*q)))
        .map(|(_, q)| q.clone());
    let Some(queue) = busiest else { panic!("the fixed floor has calls in a queue only its own calls mention") };
    keys(&mut app, &["2", "P", "/"]);
    type_text(&mut app, queue.as_str());
    press(&mut app, "enter");
    assert_eq!(app.lists[ListKind::Calls].filter, queue.as_str());
    assert!(!ids_calls(&app).is_empty(), "the fixed floor has calls in {queue}");
    assert!(
        app.lists[ListKind::Calls].rows.len() < app.floor().calls.len(),
        "the filter hides the other queues' calls"
    );
    let shown: Vec<&Call> = ids_calls(&app).iter().filter_map(|c| app.floor().calls.get(c)).collect();
    assert!(shown.iter().all(|c| c.queue.as_ref() == Some(&queue)), "only {queue}'s calls are shown");
    let keys_in_order: Vec<(u8, bool, bool)> =
        shown.iter().map(|c| (c.priority, c.flags.urgent, c.flags.risk)).collect();
    assert!(keys_in_order.windows(2).all(|w| w[0] >= w[1]), "highest priority first: {keys_in_order:?}");
    snap_all_sizes("calls_filtered", &app);
}

#[test]
fn call_view() {
    let mut app = fixed();
    let call = connected_call(app.floor());
    let out = app.run_command_line(&format!("call {call}"));
    assert!(out.is_empty());
    assert_eq!((app.view, app.open_call), (View::Call, Some(call)));
    snap_all_sizes("call", &app);
}

#[test]
fn agents_view() {
    let mut app = fixed();
    press(&mut app, "3");
    snap_all_sizes("agents", &app);
}

#[test]
fn alerts_view() {
    let mut app = fixed();
    press(&mut app, "4");
    snap_all_sizes("alerts", &app);
}

#[test]
fn tickets_view() {
    let mut app = fixed();
    press(&mut app, "5");
    snap_all_sizes("tickets", &app);
}

#[test]
fn callbacks_view() {
    let mut app = fixed();
    press(&mut app, "6");
    snap_all_sizes("callbacks", &app);
}

#[test]
fn audit_view() {
    let mut app = fixed();
    press(&mut app, "7");
    snap_all_sizes("audit", &app);
}

#[test]
fn the_audit_view_reads_a_bulk_ack_the_engine_cut_to_fifty_ids() {
    let mut feed = callfloor::local::LocalFeed::new(hospital(WARM_MINUTES));
    let mut app = attach(&mut feed);
    // 250 ids, most unknown on this floor: refused, and audited with the first 50 ids and "more": 200.
    let ack = Command::AckAlerts { alerts: (1..=250).map(AlertId).collect() };
    deliver(&mut app, &mut feed, vec![callfloor::client::Outgoing::command("bulk", ack)]);
    let Some(entry) = app.floor().audit.back().cloned() else { panic!("the ack is audited") };
    assert!(entry.command.contains("\"more\":200"), "{}", entry.command);
    // A run of refused commands audited as one entry counts as all of them.
    let mut run = entry.clone();
    run.more = 3;
    let at = app.floor().time();
    app.apply_update(Update::Events {
        from_seq: app.floor().seq,
        events: vec![Event { at, kind: EventKind::Audited { entry: run } }],
    });
    press(&mut app, "7");
    let screen = shot(&app, 160, 48);
    let row = screen.lines().find(|l| l.contains("ack 250 alerts")).unwrap_or_default();
    assert!(row.contains("ack 250 alerts: AL-1, AL-2") && row.contains(" … +"), "readable, not JSON: {screen}");
    assert!(!screen.contains("{\"type\""), "no raw JSON: {screen}");
    let commands = app.floor().audit.len() + 3;
    let refused = app.floor().audit.iter().filter(|e| !e.ok).count() + 3;
    assert!(screen.contains(&format!("Audit: {commands} commands, {refused} refused")), "{screen}");
    assert!(screen.contains("(and 3 more like it)"), "{screen}");
    let narrow = shot(&app, 80, 24);
    assert!(narrow.contains("ack 250 alerts "), "{narrow}");
}

#[test]
fn help_view() {
    let mut app = fixed();
    keys(&mut app, &["2", "?"]);
    assert!(app.help);
    snap_all_sizes("help_calls", &app);
}

#[test]
fn help_greys_what_a_viewer_cannot_do_and_names_the_role_that_can() {
    let mut feed = callfloor::local::LocalFeed::with_role(hospital(WARM_MINUTES), Role::Viewer);
    let mut app = attach(&mut feed);
    keys(&mut app, &["2", "?"]);
    assert!(app.help);
    snap_all_sizes("help_calls_viewer", &app);
    let screen = shot(&app, 160, 48);
    assert!(screen.contains("Greyed: needs the role in brackets (you have the viewer role)"), "{screen}");
    assert!(screen.contains("(barge; supervisor)"), "barge is greyed and says who can: {screen}");
    // Greyed in colour too: the theme's muted grey; what a viewer can do keeps the key colour.
    let barge = style_of(&app, 160, 48, "(barge; supervisor)", "b ");
    assert_eq!(barge.fg, Some(Color::DarkGray), "a viewer's barge key is grey");
    let open = style_of(&app, 160, 48, "(open_call)", "enter");
    assert_ne!(open.fg, Some(Color::DarkGray), "what a viewer can do is not grey");
    // Command-line verbs too, further down: :barge greyed, :filter not.
    for _ in 0..80 {
        if shot(&app, 160, 48).contains(":filter") {
            break;
        }
        press(&mut app, "j");
    }
    let screen = shot(&app, 160, 48);
    let barge = screen.lines().find(|l| l.contains(":barge [call]")).unwrap_or_default();
    assert!(barge.contains("(supervisor)"), "{screen}");
    let filter = style_of(&app, 160, 48, ":filter", ":filter");
    assert_ne!(filter.fg, Some(Color::DarkGray));
    let verb = style_of(&app, 160, 48, ":barge", ":barge");
    assert_eq!(verb.fg, Some(Color::DarkGray));
    // A supervisor sees nothing greyed.
    let mut app = fixed();
    keys(&mut app, &["2", "?"]);
    assert!(!shot(&app, 160, 48).contains("Greyed"));
}

#[test]
fn dialogs_and_lines() {
    let settings = snapshot_settings();
    settings.bind(|| {
        let mut app = fixed();
        keys(&mut app, &["3", "r"]);
        insta::assert_snapshot!("reassign_dialog_80x24", shot(&app, 80, 24));

        let mut app = fixed();
        let (prefix, _) = shared_call_prefix(app.floor());
        press(&mut app, ":");
        type_text(&mut app, &format!("barge {prefix}"));
        press(&mut app, "tab");
        assert!(app.completions.len() >= 2, "{prefix} is shared: {:?}", app.completions);
        insta::assert_snapshot!("command_line_completion_80x24", shot(&app, 80, 24));

        let mut app = fixed();
        let call = connected_call(app.floor());
        let _ = app.run_command_line(&format!("call {call}"));
        press(&mut app, "i");
        type_text(&mut app, "I'm the duty supervisor, help is coming");
        insta::assert_snapshot!("say_line_80x24", shot(&app, 80, 24));
    });
}

#[test]
fn honest_state_when_disconnected_and_too_small() {
    let settings = snapshot_settings();
    settings.bind(|| {
        let mut app = fixed();
        app.apply_update(Update::Connection(ConnState::Disconnected {
            reason: "connection reset".into(),
            retry_in_ms: 2000,
        }));
        app.data_age = std::time::Duration::from_secs(14);
        let text = shot(&app, 80, 24);
        assert!(text.contains("STALE"), "a disconnected console says its data is stale:\n{text}");
        assert!(text.contains("14s old"), "and how old it is:\n{text}");
        insta::assert_snapshot!("disconnected_80x24", text);

        let text = shot(&app, 79, 23);
        assert!(text.contains("Terminal too small"), "{text}");
        insta::assert_snapshot!("too_small_79x23", text);
    });
}

// ----- colours (text snapshots do not show them) -----

/// The style of the first cell on the screen that starts `needle` in a row holding the word `row_has` (`AL-3`
/// does not pick a row about `AL-31`).
fn style_of(app: &App, w: u16, h: u16, row_has: &str, needle: &str) -> ratatui::style::Style {
    let t = draw(app, w, h);
    let buf = t.backend().buffer();
    for (y, row) in rows(&t).iter().enumerate() {
        if has_word(row, row_has).is_none() {
            continue;
        }
        let Some(byte) = row.find(needle) else { continue };
        let x = row[..byte].chars().count() as u16;
        return buf[(x, y as u16)].style();
    }
    let screen = t.backend().to_string();
    panic!("no row with {row_has:?} and {needle:?} on the screen:\n{screen}");
}

#[test]
fn alert_severities_have_their_colours() {
    let mut app = fixed();
    press(&mut app, "4");
    let crit = newest_open_alert(app.floor(), Severity::Critical);
    let warn = newest_open_alert(app.floor(), Severity::Warning);
    let acked = app.floor().alerts.values().rev().find(|a| a.acked.is_some() && a.severity == Severity::Critical);
    let Some(acked) = acked.map(|a| a.id) else { panic!("the fixed floor has an acknowledged alert") };
    // Each is looked at with the selection on it, so it is on screen however many alerts came after it (a
    // selected row is reversed; its colours stay).
    let mut look = |id: AlertId, label: &str| {
        press(&mut app, "home");
        while app.lists[ListKind::Alerts].sel.and_then(|r| r.alert()) != Some(id) {
            let before = app.lists[ListKind::Alerts].index;
            press(&mut app, "j");
            assert_ne!(app.lists[ListKind::Alerts].index, before, "{id} is in the Alerts list");
        }
        style_of(&app, 160, 48, &id.to_string(), label)
    };
    let crit = look(crit, "CRIT");
    assert_eq!(crit.fg, Some(Color::LightRed), "critical alerts are red");
    assert!(crit.add_modifier.contains(Modifier::BOLD));
    let warn = look(warn, "WARN");
    assert_eq!(warn.fg, Some(Color::Yellow), "warnings are yellow");
    // An acknowledged alert is dimmed, whatever its severity.
    let acked = look(acked, "CRIT");
    assert_eq!(acked.fg, Some(Color::DarkGray));
    // The banner on every view is the urgent style.
    press(&mut app, "1");
    let banner = style_of(&app, 80, 24, "▲", "▲");
    assert_eq!((banner.fg, banner.bg), (Some(Color::White), Some(Color::Red)));
}

#[test]
fn sentiment_and_overdue_tickets_are_red() {
    let mut app = fixed();
    let now = app.floor().time();
    let call = connected_call(app.floor());
    // A ticket id the floor does not hold yet.
    let ticket = TicketId(app.floor().tickets.keys().next_back().map_or(0, |t| t.0) + 1);
    let said = |text: &str| Event {
        at: now,
        kind: EventKind::Utterance {
            call,
            speaker: Speaker::Caller,
            text: text.into(),
            sentiment: -0.9,
            emotion: None,
            whisper: false,
            by: None,
        },
    };
    let events = vec![
        said("this is terrible"),
        said("nobody is listening to me"),
        said("I am furious"),
        Event {
            at: now,
            kind: EventKind::TicketOpened {
                ticket: Ticket {
                    id: ticket,
                    call: Some(call),
                    category: "complaint".into(),
                    priority: TicketPriority::High,
                    status: TicketStatus::Open,
                    level: 0,
                    summary: "late on purpose".into(),
                    opened: now - chrono::Duration::hours(2),
                    due: now - chrono::Duration::minutes(5),
                    notes: Vec::new(),
                    history: Vec::new(),
                    notes_earlier: 0,
                    links: TicketLinks::default(),
                },
            },
        },
    ];
    app.apply_update(Update::Events { from_seq: app.floor().seq, events });
    keys(&mut app, &["2", "S"]);
    let shown = app.floor().calls.get(&call).map(|c| format!("{:+.2}", c.sentiment)).unwrap_or_default();
    assert!(shown.starts_with('-'), "the caller's rolling sentiment went negative: {shown}");
    // Tall enough for every row, whatever the floor holds; 80 columns, the narrow layout.
    let tall = |n: usize| (n as u16 + 12).max(24);
    let s = style_of(&app, 80, tall(app.lists[ListKind::Calls].rows.len()), &call.to_string(), &shown);
    assert_eq!(s.fg, Some(Color::LightRed), "negative sentiment is red");
    press(&mut app, "5");
    let due = style_of(&app, 80, tall(app.lists[ListKind::Tickets].rows.len()), &ticket.to_string(), "5:00 over");
    assert_eq!(due.fg, Some(Color::LightRed), "an overdue ticket's countdown is red");
    assert!(due.add_modifier.contains(Modifier::BOLD));
    // The call's details (wide screens) list the ticket the same way, id as everywhere else.
    let _ = app.run_command_line(&format!("call {call}"));
    let screen = draw(&app, 160, 48).backend().to_string();
    assert!(screen.contains(&format!(" {ticket} open 5:00 over")), "{screen}");
    let due = style_of(&app, 160, 48, &ticket.to_string(), "5:00 over");
    assert_eq!(due.fg, Some(Color::LightRed), "and red there too");
}

#[test]
fn a_queue_in_breach_has_a_red_tile_and_mono_uses_no_colour() {
    let mut app = fixed();
    // The first queue (its tile is drawn top left), 30 points under its target.
    let Some(q) = app.floor().queues.first().cloned() else { panic!("the fixed floor has queues") };
    assert!(q.sla.percent >= 0.3, "{} has a target to fall under", q.id);
    let level = q.sla.percent - 0.3;
    let shown = format!("{:.0}%", level * 100.0);
    let mut m = FloorMetrics { at: app.floor().now, window_s: 900, ..Default::default() };
    m.queues.push(QueueMetrics {
        queue: q.id.clone(),
        service_level: Some(level),
        sl_target: q.sla.percent,
        sl_seconds: q.sla.seconds,
        ..Default::default()
    });
    app.apply_update(Update::Metrics(Box::new(m)));
    let sl_row = format!("SL {shown:>4}");
    let sl = style_of(&app, 80, 24, &sl_row, &shown);
    assert_eq!(sl.fg, Some(Color::LightRed), "SL under target is red");
    let border = style_of(&app, 80, 24, q.id.as_str(), "┌");
    assert_eq!(border.fg, Some(Color::LightRed), "and so is the tile's border");

    app.theme = Theme::builtin("mono");
    let t = draw(&app, 160, 48);
    let coloured = t.backend().buffer().content.iter().any(|c| {
        let s = c.style();
        !matches!(s.fg, None | Some(Color::Reset)) || !matches!(s.bg, None | Some(Color::Reset))
    });
    assert!(!coloured, "the mono theme (NO_COLOR) draws no colour at all");
    let sl = style_of(&app, 80, 24, &sl_row, &shown);
    assert!(sl.add_modifier.contains(Modifier::REVERSED), "mono shows a breach by reversing it");
}

#[test]
fn transcript_scroll_counts_lines_and_reaches_the_first() {
    let mut app = fixed();
    let call = connected_call(app.floor());
    let _ = app.run_command_line(&format!("call {call}"));
    assert_eq!(app.open_call, Some(call));
    let n = app.floor().calls[&call].transcript.len();
    assert!(n >= 2, "the fixture call has said something");
    let first = app.floor().calls[&call].transcript[0].text.clone();
    let newest = app.floor().calls[&call].transcript[n - 1].text.clone();
    // Narrow and short, so lines wrap and only a few fit: scrolling up far enough still shows the first line.
    for _ in 0..n + 5 {
        press(&mut app, "up");
    }
    let top = app.transcript_scroll;
    assert!(top > 0 && top < n, "scrolling stops where the first line tops a full pane ({top} of {n})");
    press(&mut app, "up");
    assert_eq!(app.transcript_scroll, top, "and stays there");
    // Wide (CJK) characters take two cells: compare without spaces.
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let screen = rows(&draw(&app, 80, 24)).join("\n");
    let head: String = squeeze(&first).chars().take(6).collect();
    assert!(squeeze(&screen).contains(&head), "the first line ({first}) is on screen at the top:\n{screen}");
    for _ in 0..n + 5 {
        press(&mut app, "down");
    }
    assert_eq!(app.transcript_scroll, 0);
    let screen = rows(&draw(&app, 80, 24)).join("\n");
    let tail: String = squeeze(&newest).chars().take(6).collect();
    assert!(squeeze(&screen).contains(&tail), "the newest line is back at the bottom");
}

#[test]
fn a_database_that_cannot_be_written_is_said_on_every_view_and_clears_when_it_recovers() {
    let mut app = fixed();
    let store = |ok: bool| {
        let mut m = FloorMetrics { window_s: 900, ..Default::default() };
        m.store = Some(StoreStatus { ok, error: (!ok).then(|| "database or disk is full".into()), pending: 12 });
        Update::Metrics(Box::new(m))
    };
    app.apply_update(store(false));
    for view in ["1", "2", "5"] {
        press(&mut app, view);
        let screen = draw(&app, 80, 24).backend().to_string();
        assert!(screen.contains("✗ db"), "{screen}");
        assert!(screen.contains("DATABASE: the engine cannot save (database or disk is full)"), "{screen}");
    }
    app.apply_update(store(true));
    let screen = draw(&app, 80, 24).backend().to_string();
    assert!(!screen.contains("✗ db") && !screen.contains("DATABASE"), "{screen}");
}
