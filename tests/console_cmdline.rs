//! The `:` command line as a supervisor types it, against the seeded hospital floor: aliases, Tab completion and
//! cycling, the history, `:sort` and `:ack` with several ids, and the help that lists every verb.

mod console_support;

use callfloor::client::Outgoing;
use callfloor::console::app::{App, View};
use callfloor::console::command_line::VERBS;
use callfloor::local::LocalFeed;
use callfloor::model::*;
use console_support::*;

fn commands(out: &[Outgoing]) -> Vec<Command> {
    out.iter().filter_map(|o| o.as_command().cloned()).collect()
}

fn setup() -> (LocalFeed, App) {
    let mut feed = feed();
    let app = attach(&mut feed);
    (feed, app)
}

/// Opens the command line, types `text` and presses enter; returns the commands sent.
fn run(app: &mut App, text: &str) -> Vec<Command> {
    press(app, ":");
    type_text(app, text);
    commands(&press(app, "enter"))
}

/// The text in the line being typed.
fn line(app: &App) -> String {
    app.input.as_ref().map(|i| i.text()).unwrap_or_default()
}

/// The newest toast.
fn last_toast(app: &App) -> String {
    app.messages.back().map(|t| t.text.clone()).unwrap_or_default()
}

#[test]
fn aliases_run_as_their_verbs() {
    let (mut feed, mut app) = setup();
    let call = connected_call(app.floor());
    let agent = connected_agent(app.floor());
    assert!(run(&mut app, "seats").is_empty());
    assert_eq!(app.view, View::Agents, ":seats is :agents");
    assert!(run(&mut app, &format!("open {call}")).is_empty());
    assert_eq!((app.view, app.open_call), (View::Call, Some(call)), ":open is :call");
    assert_eq!(
        run(&mut app, &format!("SET {agent} break")),
        vec![Command::SetAgentState { agent, state: AgentState::Break }],
        ":set is :state, in any case"
    );
    press(&mut app, ":");
    type_text(&mut app, &format!("b {call}"));
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Barge { call }], ":b is :barge");
    deliver(&mut app, &mut feed, out);
    // Barged in, :exit asks first as :quit does; :q! quits at once.
    assert!(run(&mut app, "exit").is_empty());
    assert!(app.dialog.is_some() && !app.quit, ":exit asks first while barged in");
    press(&mut app, "n");
    assert!(run(&mut app, "q!").is_empty());
    assert!(app.quit, ":q! quits at once");
}

#[test]
fn aliases_complete_with_tab() {
    let (_feed, mut app) = setup();
    for (typed, want) in [("exi", "exit "), ("sea", "seats "), ("ope", "open "), ("set", "set "), ("q!", "q! ")] {
        press(&mut app, ":");
        type_text(&mut app, typed);
        press(&mut app, "tab");
        assert_eq!(line(&app), want, "{typed} + tab");
        press(&mut app, "esc");
    }
}

#[test]
fn tab_in_a_queue_list_leaves_room_for_a_comma() {
    let (_feed, mut app) = setup();
    let agent = connected_agent(app.floor());
    let queues: Vec<String> = queue_ids(app.floor()).iter().map(|q| q.to_string()).collect();
    let [q0, q1, ..] = &queues[..] else { panic!("the fixture floor has at least two queues") };
    press(&mut app, ":");
    type_text(&mut app, &format!("reassign {agent} {}", unique_prefix(q0, &queues)));
    press(&mut app, "tab");
    assert_eq!(line(&app), format!("reassign {agent} {q0}"), "no space after a completed queue");
    // The first queue is not offered again, so a shorter prefix may do for the second.
    type_text(&mut app, &format!(",{}", unique_prefix(q1, &queues)));
    press(&mut app, "tab");
    assert_eq!(line(&app), format!("reassign {agent} {q0},{q1}"));
    let out = press(&mut app, "enter");
    assert_eq!(commands(&out), vec![Command::Reassign { agent, queues: vec![QueueId::new(q0), QueueId::new(q1)] }]);
    // After an id elsewhere a space still follows.
    press(&mut app, ":");
    type_text(&mut app, &format!("state {}", agent.to_string().to_lowercase()));
    press(&mut app, "tab");
    assert_eq!(line(&app), format!("state {agent} "));
}

#[test]
fn tab_again_cycles_through_the_candidates() {
    let (_feed, mut app) = setup();
    let (prefix, _) = shared_call_prefix(app.floor());
    press(&mut app, ":");
    type_text(&mut app, &format!("barge {prefix}"));
    press(&mut app, "tab");
    let listed = app.completions.clone();
    assert!(listed.len() >= 2, "{prefix} is shared: {listed:?}");
    // Each further tab puts the next candidate in place, wrapping; backtab goes back; the list stays shown.
    press(&mut app, "tab");
    assert_eq!(line(&app), format!("barge {}", listed[0]));
    press(&mut app, "tab");
    assert_eq!(line(&app), format!("barge {}", listed[1]));
    assert_eq!(app.completions, listed);
    press(&mut app, "backtab");
    assert_eq!(line(&app), format!("barge {}", listed[0]));
    press(&mut app, "backtab");
    assert_eq!(line(&app), format!("barge {}", listed[listed.len() - 1]), "back from the first is the last");
    press(&mut app, "tab");
    let out = press(&mut app, "enter");
    let Ok(want) = listed[0].parse::<CallId>() else { panic!("candidates are call ids: {listed:?}") };
    assert_eq!(commands(&out), vec![Command::Barge { call: want }], "enter runs the candidate in place");
    // Typing ends the cycle, even typing undone: the next tab completes the line as it stands.
    press(&mut app, ":");
    type_text(&mut app, &format!("barge {prefix}"));
    keys(&mut app, &["tab", "tab"]);
    type_text(&mut app, "x");
    press(&mut app, "backspace");
    press(&mut app, "tab");
    let now = line(&app);
    assert!(now.starts_with(&format!("barge {}", listed[0])), "not the next candidate: {now}");
}

#[test]
fn up_and_down_recall_lines_keeping_the_draft() {
    let (_feed, mut app) = setup();
    assert!(run(&mut app, "alerts").is_empty());
    assert!(run(&mut app, "calls").is_empty());
    assert!(run(&mut app, "calls").is_empty());
    press(&mut app, ":");
    type_text(&mut app, "fl");
    press(&mut app, "up");
    assert_eq!(line(&app), "calls", "the newest line first, a repeat kept once");
    press(&mut app, "up");
    assert_eq!(line(&app), "alerts");
    press(&mut app, "up");
    assert_eq!(line(&app), "alerts", "the oldest stays");
    press(&mut app, "down");
    assert_eq!(line(&app), "calls");
    press(&mut app, "down");
    assert_eq!(line(&app), "fl", "down past the newest gives the draft back");
    // A recalled line runs; closing and reopening starts from the newest again.
    press(&mut app, "up");
    press(&mut app, "up");
    assert!(press(&mut app, "enter").is_empty());
    assert_eq!(app.view, View::Alerts);
    press(&mut app, ":");
    press(&mut app, "up");
    assert_eq!(line(&app), "alerts", "the line just run is the newest");
    press(&mut app, "up");
    assert_eq!(line(&app), "calls");
    press(&mut app, "esc");
    press(&mut app, ":");
    press(&mut app, "up");
    assert_eq!(line(&app), "alerts", "esc forgets where recalling was");
}

#[test]
fn sort_names_the_columns_it_takes() {
    let (_feed, mut app) = setup();
    assert!(run(&mut app, "sort").is_empty());
    let columns = ListKind::Calls.sort_names().join(", ");
    assert_eq!(last_toast(&app), format!("✗ sort by which column? choose {columns}"));
    assert!(run(&mut app, "sort bogus").is_empty());
    assert_eq!(last_toast(&app), format!("✗ this list does not sort by 'bogus': choose {columns}"));
    assert!(run(&mut app, "sort Sentiment desc").is_empty());
    let sort = app.lists[ListKind::Calls].sort;
    assert_eq!((sort.column, sort.reverse, app.view), ("sentiment", true, View::Calls));
    // The column completes.
    press(&mut app, ":");
    type_text(&mut app, "sort senti");
    press(&mut app, "tab");
    assert_eq!(line(&app), "sort sentiment ");
}

#[test]
fn ack_takes_several_alerts() {
    let (_feed, mut app) = setup();
    let open: Vec<AlertId> = app.floor().open_alerts().map(|a| a.id).take(2).collect();
    let [a, b] = open[..] else { panic!("the fixture floor has two open alerts") };
    assert_eq!(
        run(&mut app, &format!("ack {a} {b}")),
        vec![Command::AckAlerts { alerts: vec![a, b] }],
        "several ids go in one request"
    );
    assert!(run(&mut app, &format!("ack {a} AL-x")).is_empty(), "one bad id sends nothing");
    assert!(last_toast(&app).contains("'AL-x'"), "the error names the bad id: {}", last_toast(&app));
}

#[test]
fn help_lists_every_verb_on_one_line_with_its_aliases() {
    let (_feed, mut app) = setup();
    press(&mut app, "?");
    app.help_scroll = usize::MAX / 2;
    let t = draw(&app, 160, 60);
    let rows = rows(&t);
    for v in VERBS {
        let usage = if v.args.is_empty() { format!(":{}", v.name) } else { format!(":{} {}", v.name, v.args) };
        let row = rows.iter().find(|r| r.contains(&format!("{usage} ")));
        let Some(row) = row else { panic!("help lists {usage}:\n{}", rows.join("\n")) };
        assert!(row.contains(v.doc), "{usage} has its doc on the same line: {row}");
        let also: Vec<String> = v.aliases.iter().map(|a| format!(":{a}")).collect();
        if !also.is_empty() {
            assert!(row.contains(&format!("also {}", also.join(" "))), "{usage} names its aliases: {row}");
        }
    }
}

/// The completion line (the screen's second-last row) at 80x24, and the style of its cell at `col`.
fn completion_row(app: &App) -> (String, Vec<ratatui::style::Style>) {
    let t = draw(app, 80, 24);
    let row = rows(&t)[22].clone();
    let buf = t.backend().buffer();
    (row, (0..80).map(|x| buf[(x, 22)].style()).collect())
}

#[test]
fn the_candidate_tab_put_in_place_is_marked_in_the_completion_line() {
    use ratatui::style::Modifier;
    let (_feed, mut app) = setup();
    let (prefix, _) = shared_call_prefix(app.floor());
    press(&mut app, ":");
    type_text(&mut app, &format!("barge {prefix}"));
    press(&mut app, "tab");
    let listed = app.completions.clone();
    let (row, _) = completion_row(&app);
    assert!(!row.contains('['), "nothing is in place after the first tab: {row}");
    let column = |row: &str, word: &str| row.find(word).map(|b| row[..b].chars().count());
    let first_at = column(&row, &listed[0]);
    // The second tab puts the first candidate in place: marked, in the selection style; the words stay put.
    press(&mut app, "tab");
    let (row, styles) = completion_row(&app);
    assert!(row.contains(&format!("[{}]", listed[0])), "{row}");
    assert_eq!(column(&row, &listed[0]), first_at, "the mark does not move the words: {row}");
    let Some(mark) = column(&row, "[") else { panic!("{row}") };
    assert!(styles[mark].add_modifier.contains(Modifier::REVERSED), "the candidate in place is reversed");
    let Some(other) = column(&row, &listed[1]) else { panic!("{row}") };
    assert!(!styles[other].add_modifier.contains(Modifier::REVERSED), "the others are not");
    // The next tab moves the mark.
    press(&mut app, "tab");
    let (row, _) = completion_row(&app);
    assert!(row.contains(&format!("[{}]", listed[1])) && !row.contains(&format!("[{}]", listed[0])), "{row}");
    // Typing ends the cycle: no mark.
    type_text(&mut app, "x");
    let (row, _) = completion_row(&app);
    assert!(!row.contains('['), "{row}");
}

#[test]
fn a_marked_candidate_past_the_edge_is_brought_into_view() {
    let (_feed, mut app) = setup();
    press(&mut app, ":");
    type_text(&mut app, "barge C-");
    keys(&mut app, &["tab"]);
    let listed = app.completions.clone();
    let all: usize = listed.iter().map(|c| c.chars().count() + 3).sum();
    assert!(all > 80, "more candidates than fit in 80 columns: {listed:?}");
    // Back from the first is the last: far past the right edge, shown anyway, with … for the ones cut off.
    keys(&mut app, &["backtab"]);
    let (row, _) = completion_row(&app);
    let last = &listed[listed.len() - 1];
    assert!(row.contains(&format!("[{last}]")), "{row}");
    assert!(row.starts_with('…'), "{row}");
    snapshot_settings().bind(|| insta::assert_snapshot!("command_line_cycling_80x24", draw(&app, 80, 24).backend()));
}
