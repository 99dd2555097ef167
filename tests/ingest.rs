//! The ingest role (issue 10): feeders send `utterance` and `call_tag`, and nothing else; nobody else sends them.
//! A fed caller line gets the simulator's analysis (urgent and risk words, sentiment alerts). The engine here is the
//! simulated bank floor (its keyword rules: `fraud` is urgent, `complaint` flags and opens a ticket), stepped by
//! hand, so nothing waits on the wall clock except failure guards and the `callfloor ingest` process.

use std::future::Future;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, ConnState, Mirror, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Limits, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const GUARD: Duration = Duration::from_secs(30);
const SUP: &str = "supervisor-token-0001";
const ADMIN: &str = "admin-token-00000001";
const VIEWER: &str = "viewer-token-0000001";
const FEEDER: &str = "ingest-token-0000001";

/// Lines of the bank floor's lexicon and rules (see `callfloor analyze --scenario bank`).
const HAPPY: &str = "thank you, that is great, very helpful";
const ANGRY: &str = "this is terrible, I am furious and angry";
const SCAMMED: &str = "I was scammed, someone stole my money";
const COMPLAIN: &str = "I want to complain to the regulator";

fn bank() -> Engine {
    let Ok(s) = Scenario::load("bank") else { panic!("the bundled bank scenario must load") };
    Engine::new(s, 11)
}

fn feeder() -> Actor {
    Actor::new("asr", Role::Ingest)
}

fn line(call: CallId, text: &str) -> Command {
    Command::Utterance { call, speaker: Speaker::Caller, text: text.into(), lang: None }
}

fn tag(call: CallId) -> Command {
    Command::CallTag { call, intent: None, lang: None, dialect: None, elderly: None, survey: None }
}

fn survey(call: CallId, score: u8) -> Command {
    Command::CallTag { call, intent: None, lang: None, dialect: None, elderly: None, survey: Some(score) }
}

fn intent(call: CallId, intent: &str) -> Command {
    Command::CallTag { call, intent: Some(intent.into()), lang: None, dialect: None, elderly: None, survey: None }
}

/// Steps the engine until a live call in one of `states` has no rule hit yet, and returns it.
fn call_in(engine: &mut Engine, states: &[CallState]) -> CallId {
    for _ in 0..720 {
        let found = engine
            .floor()
            .calls
            .values()
            .find(|c| states.contains(&c.state) && c.rule_hits.is_empty() && !c.flags.urgent)
            .map(|c| c.id);
        if let Some(id) = found {
            return id;
        }
        let t = engine.now() + chrono::Duration::seconds(5);
        engine.advance_to(t);
    }
    panic!("no call in {states:?} within an hour of floor time");
}

fn alerts_about(engine: &Engine, call: CallId, kind: AlertKind) -> Vec<Severity> {
    let subject = call.to_string();
    engine.floor().alerts.values().filter(|a| a.kind == kind && a.subject == subject).map(|a| a.severity).collect()
}

#[test]
fn an_urgent_word_fed_for_a_waiting_caller_raises_the_urgent_alert_and_the_call_jumps_the_queue() {
    let mut engine = bank();
    let call = call_in(&mut engine, &[CallState::Ivr, CallState::Queued]);
    let before = engine.floor().calls[&call].transcript.len();
    assert_eq!(engine.command(&feeder(), &line(call, SCAMMED)), Ok(()));
    let c = &engine.floor().calls[&call];
    assert_eq!(c.transcript.len(), before + 1);
    let fed = &c.transcript[before];
    assert_eq!((fed.speaker, fed.text.as_str(), fed.by.as_deref()), (Speaker::Caller, SCAMMED, None));
    assert!(fed.sentiment < -0.3, "the line was analysed: {}", fed.sentiment);
    assert!(c.flags.urgent && c.flags.risk, "the fraud rule marks the call urgent and risky");
    assert_eq!(c.priority, 10, "an urgent call goes above every queue's base priority");
    assert_eq!(c.rule_hits.iter().map(|h| h.rule.as_str()).collect::<Vec<_>>(), vec!["fraud"]);
    assert_eq!(alerts_about(&engine, call, AlertKind::UrgentKeyword), vec![Severity::Critical]);
    // The same words again act once per call, as a simulated caller's do.
    assert_eq!(engine.command(&feeder(), &line(call, SCAMMED)), Ok(()));
    assert_eq!(alerts_about(&engine, call, AlertKind::UrgentKeyword).len(), 1);
    assert_eq!(engine.floor().calls[&call].rule_hits.len(), 1);
    // A feeder's lines are not the audit log's business.
    assert!(engine.floor().audit.iter().all(|e| e.actor != "asr"), "feed commands are not audited");
}

#[test]
fn a_risk_word_flags_the_call_and_opens_its_ticket() {
    let mut engine = bank();
    let call = call_in(&mut engine, &[CallState::Connected]);
    let tickets = engine.floor().tickets.len();
    assert_eq!(engine.command(&feeder(), &line(call, COMPLAIN)), Ok(()));
    let c = &engine.floor().calls[&call];
    assert!(c.flags.risk && !c.flags.urgent, "complaint flags for review without making the call urgent");
    assert_eq!(engine.floor().tickets.len(), tickets + 1);
    let opened = engine.floor().tickets.values().next_back().map(|t| (t.category.as_str(), t.call));
    assert_eq!(opened, Some(("complaint", Some(call))));
}

#[test]
fn a_caller_whose_fed_lines_turn_sour_raises_the_sentiment_alert_warning_then_critical() {
    let mut engine = bank();
    let call = call_in(&mut engine, &[CallState::Connected]);
    assert_eq!(engine.command(&feeder(), &line(call, HAPPY)), Ok(()));
    let mut severities = Vec::new();
    for n in 0..8 {
        assert_eq!(engine.command(&feeder(), &line(call, ANGRY)), Ok(()));
        let now = alerts_about(&engine, call, AlertKind::NegativeSentiment);
        if now.len() > severities.len() {
            severities = now;
            assert!(n >= 2, "a trend needs a few lines, not one angry word (alert after {} lines)", n + 1);
        }
    }
    assert_eq!(severities, vec![Severity::Warning, Severity::Critical], "one alert per severity");
    assert!(engine.floor().calls[&call].sentiment <= -0.7);
    // Agent lines are kept but are not the caller's mood.
    let s = engine.floor().calls[&call].sentiment;
    let agent = Command::Utterance { call, speaker: Speaker::Agent, text: HAPPY.into(), lang: None };
    assert_eq!(engine.command(&feeder(), &agent), Ok(()));
    assert_eq!(engine.floor().calls[&call].sentiment, s);
}

#[test]
fn feed_commands_are_checked_against_the_floor() {
    let mut engine = bank();
    let waiting = call_in(&mut engine, &[CallState::Ivr, CallState::Queued]);
    let code = |r: Result<(), CommandError>| r.err().map(|e| (e.code, e.message));
    let Some((c, m)) = code(engine.command(&feeder(), &line(CallId(999_999), "hello"))) else {
        panic!("an unknown call is refused")
    };
    assert_eq!((c, m.as_str()), (ErrorCode::NotFound, "there is no live call C-999999: it may have ended"));
    let agent = Command::Utterance { call: waiting, speaker: Speaker::Agent, text: "hello".into(), lang: None };
    assert_eq!(code(engine.command(&feeder(), &agent)).map(|e| e.0), Some(ErrorCode::Conflict));
    let sup = Command::Utterance { call: waiting, speaker: Speaker::Supervisor, text: "hi".into(), lang: None };
    assert_eq!(code(engine.command(&feeder(), &sup)).map(|e| e.0), Some(ErrorCode::BadFrame));
    assert_eq!(code(engine.command(&feeder(), &line(waiting, "   "))).map(|e| e.0), Some(ErrorCode::BadFrame));
    let long = line(waiting, &"多".repeat(SAY_MAX_CHARS + 1));
    assert!(
        code(engine.command(&feeder(), &long))
            .is_some_and(|(c, m)| c == ErrorCode::BadFrame && m.contains("501 characters long, over the limit of 500"))
    );
    assert_eq!(code(engine.command(&feeder(), &tag(waiting))).map(|e| e.0), Some(ErrorCode::BadFrame));
    let dialect = Command::CallTag {
        call: waiting,
        intent: None,
        lang: None,
        dialect: Some("klingon".into()),
        elderly: None,
        survey: None,
    };
    assert_eq!(code(engine.command(&feeder(), &dialect)).map(|e| e.0), Some(ErrorCode::NotFound));
    // The survey score is for a call that has ended.
    let early = survey(waiting, 4);
    assert!(
        code(engine.command(&feeder(), &early))
            .is_some_and(|(c, m)| c == ErrorCode::Conflict && m.contains("once it has ended"))
    );
}

#[test]
fn a_tag_changes_the_call_on_every_mirror_and_a_survey_scores_an_ended_call_once() {
    let mut engine = bank();
    let call = call_in(&mut engine, &[CallState::Connected]);
    engine.drain();
    let retag = Command::CallTag {
        call,
        intent: Some("card-dispute".into()),
        lang: Some(Lang::Zh),
        dialect: None,
        elderly: Some(true),
        survey: None,
    };
    assert_eq!(engine.command(&feeder(), &retag), Ok(()));
    let c = &engine.floor().calls[&call];
    assert_eq!((c.intent.as_str(), c.lang, c.elderly), ("card-dispute", Lang::Zh, true));
    // The event carries what changed and who tagged it; a mirror applying it agrees with the engine.
    let events = engine.drain();
    let tagged: Vec<&EventKind> = events.iter().map(|e| &e.kind).filter(|k| k.name() == "call_tagged").collect();
    let Some(EventKind::CallTagged { by, intent, .. }) = tagged.first() else { panic!("a call_tagged event") };
    assert_eq!((by.as_str(), intent.as_deref()), ("asr", Some("card-dispute")));
    // Tagging what the call already is changes nothing and sends nothing.
    assert_eq!(engine.command(&feeder(), &retag), Ok(()));
    assert!(engine.drain().iter().all(|e| e.kind.name() != "call_tagged"));

    // Run until the call ends, then score it.
    for _ in 0..720 {
        if !engine.floor().calls.contains_key(&call) {
            break;
        }
        let t = engine.now() + chrono::Duration::seconds(5);
        engine.advance_to(t);
    }
    let ended = engine.floor().recent.iter().find(|s| s.id == call).map(|s| s.state);
    assert_eq!(ended, Some(CallState::Ended), "the call ended within the hour");
    engine.drain();
    let tickets = engine.floor().tickets.len();
    let score = survey(call, 1);
    assert_eq!(engine.command(&feeder(), &score), Ok(()));
    let events = engine.drain();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::SurveyAnswered { call: c, score: 1 } if c == call)));
    assert_eq!(engine.floor().tickets.len(), tickets + 1, "a bad score opens a follow-up ticket");
    let Err(e) = engine.command(&feeder(), &score) else { panic!("one score per call") };
    assert_eq!((e.code, e.message), (ErrorCode::Conflict, format!("{call} already has a survey score")));
    let out_of_range = survey(call, 6);
    assert_eq!(engine.command(&feeder(), &out_of_range).err().map(|e| e.code), Some(ErrorCode::BadFrame));
}

/// A PBX-fed floor (the Asterisk example floor, calls observed as its bridge reports them): the feed gives its calls
/// words, and the floor's own rules, alerts and tickets follow, as on a simulated floor.
#[test]
fn on_a_pbx_floor_fed_lines_raise_the_urgent_alert_and_a_survey_scores_the_ended_call() {
    use callfloor::bridge::{CallKey, EndReason, Observation};
    let path = std::path::Path::new("floors/asterisk-example.toml");
    let Ok(d) = callfloor::engine::sim::scenario::FloorDescription::load(path) else { panic!("the example floor") };
    let start = callfloor::engine::floor_date().and_hms_opt(9, 0, 0).unwrap_or_default().and_utc();
    let mut engine = Engine::with_source(d, 1, start);
    let key = CallKey("1733479200.41".into());
    engine.observe(Observation::CallQueued {
        key: key.clone(),
        caller: "+86 13800001234".into(),
        queue: QueueId::from("support"),
    });
    let Some(call) = engine.call_of_key(&key) else { panic!("the observed call is on the floor") };
    assert_eq!(engine.command(&feeder(), &line(call, "my father has chest pain")), Ok(()));
    let c = &engine.floor().calls[&call];
    assert!(c.flags.urgent && c.priority == 10, "the floor description's urgent rule acted");
    assert_eq!(alerts_about(&engine, call, AlertKind::UrgentKeyword), vec![Severity::Critical]);

    // Answered by a seat serving the queue; the agent speaks; the caller's mood falls.
    let Some(agent) =
        engine.floor().agents.values().find(|a| a.queues.contains(&QueueId::from("support"))).map(|a| a.id)
    else {
        panic!("a seat serves support")
    };
    engine.observe(Observation::CallAnswered { key: key.clone(), agent });
    let agent_line = Command::Utterance { call, speaker: Speaker::Agent, text: "I am here to help".into(), lang: None };
    assert_eq!(engine.command(&feeder(), &agent_line), Ok(()));
    assert_eq!(engine.command(&feeder(), &line(call, HAPPY)), Ok(()));
    for _ in 0..6 {
        assert_eq!(engine.command(&feeder(), &line(call, ANGRY)), Ok(()));
    }
    assert_eq!(alerts_about(&engine, call, AlertKind::NegativeSentiment), vec![Severity::Warning, Severity::Critical]);

    // The PBX says the caller hung up; the caller's score comes from the survey system through the feeder.
    engine.observe(Observation::CallEnded { key, reason: EndReason::Caller });
    assert!(!engine.floor().calls.contains_key(&call));
    engine.drain();
    assert_eq!(engine.command(&feeder(), &survey(call, 1)), Ok(()));
    let events = engine.drain();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::SurveyAnswered { call: c, score: 1 } if c == call)));
    let follow_up = engine.floor().tickets.values().any(|t| t.category == "low-satisfaction" && t.call == Some(call));
    assert!(follow_up, "a score at or below the floor's bad_score opens a follow-up ticket");
}

// ----------------------------------------------------------------------------------------------------------------
// Over the real server.

fn tokens() -> Tokens {
    let e = |name: &str, token: &str, role| TokenEntry { name: name.into(), token: token.into(), role };
    Tokens::from_entries(vec![
        e("ana", SUP, Role::Supervisor),
        e("root", ADMIN, Role::Admin),
        e("val", VIEWER, Role::Viewer),
        e("asr", FEEDER, Role::Ingest),
    ])
}

async fn start() -> ServerHandle {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind a loopback port") };
    let mut cfg = ServerConfig::new(tokens(), Pacing::Manual);
    cfg.limits = Limits::default();
    match server::serve(listener, bank(), cfg).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

async fn engine_floor(server: &ServerHandle) -> Floor {
    let Ok(f) = guard("floor", server.floor()).await else { panic!("the engine must answer with its floor") };
    f
}

/// Steps the served engine until a call is connected.
async fn connected_call(server: &ServerHandle) -> CallId {
    for _ in 0..360 {
        let f = engine_floor(server).await;
        if let Some(c) = f.calls.values().find(|c| c.state == CallState::Connected && c.rule_hits.is_empty()) {
            return c.id;
        }
        let stepped = guard("advance", server.advance(chrono::Duration::seconds(10), chrono::Duration::seconds(1)));
        assert!(stepped.await.is_ok(), "the engine must advance");
    }
    panic!("no call was connected within an hour of floor time");
}

struct TestClient {
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Outgoing>,
    mirror: Mirror,
    next_id: u32,
}

impl TestClient {
    fn connect(url: &str, token: &str) -> TestClient {
        let (updates, commands) = client::spawn(ClientConfig::new(url, token));
        TestClient { updates, commands, mirror: Mirror::default(), next_id: 0 }
    }

    async fn pump(&mut self) -> Update {
        let Some(u) = guard("an update", self.updates.recv()).await else { panic!("the client task stopped") };
        if let Update::Connection(ConnState::Failed { reason }) = &u {
            panic!("the client could not connect: {reason}");
        }
        self.mirror.apply(&u, std::time::Instant::now());
        u
    }

    async fn command(&mut self, command: Command) -> Result<(), (ErrorCode, String)> {
        self.next_id += 1;
        let id = format!("t-{}", self.next_id);
        assert!(self.commands.send(Outgoing::command(id.clone(), command)).await.is_ok());
        loop {
            match self.pump().await {
                Update::Ack { id: i } if i == id => return Ok(()),
                Update::Error { id: Some(i), code, message } if i == id => return Err((code, message)),
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn only_the_ingest_role_feeds_and_it_may_do_nothing_else() {
    let server = start().await;
    let url = server.url();
    let call = connected_call(&server).await;
    let mut asr = TestClient::connect(&url, FEEDER);
    let mut ana = TestClient::connect(&url, SUP);
    let mut root = TestClient::connect(&url, ADMIN);
    let mut val = TestClient::connect(&url, VIEWER);

    assert_eq!(asr.command(line(call, SCAMMED)).await, Ok(()));
    // The feeder's mirror shows its line, with the caller's number masked as a viewer's is.
    let engine = engine_floor(&server).await;
    let (Some(mine), Some(real)) = (asr.mirror.floor.calls.get(&call), engine.calls.get(&call)) else {
        panic!("the call is on both floors")
    };
    assert_eq!(mine.transcript.last().map(|l| l.text.as_str()), Some(SCAMMED));
    assert!(mine.caller.contains('*') && mine.caller != real.caller, "{} is masked", mine.caller);
    assert!(real.flags.urgent, "the fed line took effect on the engine");

    // Nobody else feeds: not a viewer, a supervisor, nor an admin.
    for (who, client) in [("viewer", &mut val), ("supervisor", &mut ana), ("admin", &mut root)] {
        let refused = client.command(line(call, "hello")).await;
        assert_eq!(
            refused,
            Err((ErrorCode::Forbidden, format!("the {who} role cannot utterance: ask for an ingest token"))),
        );
        let tagged = client.command(intent(call, "x")).await;
        assert_eq!(tagged.err().map(|e| e.0), Some(ErrorCode::Forbidden));
    }
    // The feeder steers nothing.
    for cmd in [
        Command::Monitor { call },
        Command::Barge { call },
        Command::Transfer { call, to_agent: None, to_queue: Some(QueueId::from("cards")) },
        Command::AckAlerts { alerts: vec![AlertId(1)] },
    ] {
        let name = cmd.name().replace('_', " ");
        let refused = asr.command(cmd).await;
        assert_eq!(
            refused,
            Err((ErrorCode::Forbidden, format!("the ingest role cannot {name}: ask for a supervisor token")))
        );
    }
    // Staff commands still work for staff.
    assert_eq!(ana.command(Command::Monitor { call }).await, Ok(()));
    // People's refused attempts are audited; the feeder's commands are not.
    let floor = engine_floor(&server).await;
    let audited: Vec<(&str, bool)> = floor.audit.iter().map(|e| (e.actor.as_str(), e.ok)).collect();
    assert_eq!(
        audited,
        vec![
            ("val", false),
            ("val", false),
            ("ana", false),
            ("ana", false),
            ("root", false),
            ("root", false),
            ("ana", true)
        ]
    );
}

/// Runs `callfloor ingest ARGS` with `stdin` as its input and the feeder's token in the environment; returns its
/// exit status and stderr. Runs on a blocking thread so the server in this runtime keeps serving.
async fn ingest_cli(args: Vec<String>, stdin: &str) -> (bool, String) {
    let stdin = stdin.to_string();
    let run = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = match std::process::Command::new(env!("CARGO_BIN_EXE_callfloor"))
            .arg("ingest")
            .args(&args)
            .env("CALLFLOOR_TOKEN", FEEDER)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => panic!("cannot start callfloor ingest: {e}"),
        };
        if let Some(mut input) = child.stdin.take() {
            assert!(input.write_all(stdin.as_bytes()).is_ok());
        }
        match child.wait_with_output() {
            Ok(out) => (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned()),
            Err(e) => panic!("callfloor ingest did not finish: {e}"),
        }
    });
    match guard("callfloor ingest", run).await {
        Ok(r) => r,
        Err(e) => panic!("the ingest thread failed: {e}"),
    }
}

#[tokio::test]
async fn callfloor_ingest_feeds_stdin_and_fails_when_a_line_is_refused() {
    let server = start().await;
    let url = server.url();
    let call = connected_call(&server).await;

    let args = vec!["--url".to_string(), url.clone(), "--call".into(), call.to_string(), "--lang".into(), "en".into()];
    let (ok, stderr) = ingest_cli(args, &format!("{HAPPY}\n\n{SCAMMED}\n")).await;
    assert!(ok, "every line was accepted: {stderr}");
    let floor = engine_floor(&server).await;
    let Some(c) = floor.calls.get(&call) else { panic!("the call is still live") };
    let fed: Vec<&str> = c.transcript.iter().rev().take(2).map(|l| l.text.as_str()).collect();
    assert_eq!(fed, vec![SCAMMED, HAPPY], "one utterance per non-empty line, in order");
    assert!(c.flags.urgent);

    // JSON lines for several calls; a refused line makes the run fail and is named on stderr.
    let json = format!(
        "{{\"call\":\"{call}\",\"speaker\":\"agent\",\"text\":\"let me check that\"}}\n\
         {{\"call_tag\":{{\"call\":\"{call}\",\"intent\":\"fraud-report\"}}}}\n\
         {{\"call\":\"C-999999\",\"text\":\"hello?\"}}\n\
         not json\n"
    );
    let (ok, stderr) = ingest_cli(vec!["--url".into(), url.clone(), "--json".into()], &json).await;
    assert!(!ok, "a refused line fails the run");
    assert!(
        stderr.contains("line 3 refused (not_found): there is no live call C-999999: it may have ended"),
        "{stderr}"
    );
    assert!(stderr.contains("line 4 skipped: not a JSON object"), "{stderr}");
    assert!(stderr.contains("2 of 4 lines were refused"), "{stderr}");
    let floor = engine_floor(&server).await;
    let Some(c) = floor.calls.get(&call) else { panic!("the call is still live") };
    assert_eq!(c.intent, "fraud-report");
    assert_eq!(c.transcript.last().map(|l| (l.speaker, l.text.as_str())), Some((Speaker::Agent, "let me check that")));

    // A person's token is refused before any line is read.
    let (ok, stderr) = {
        let args = vec!["--url".to_string(), url, "--call".into(), call.to_string(), "--token".into(), SUP.into()];
        ingest_cli(args, "hello\n").await
    };
    assert!(!ok);
    assert!(stderr.contains("of the supervisor role: feeding lines needs an ingest token"), "{stderr}");
}

mod console_support;

/// The console with an ingest token shows the floor read-only: every action that would send a command is refused
/// in a sentence naming the role that may, as for a viewer.
#[test]
fn the_console_with_an_ingest_token_is_read_only() {
    let mut feed = console_support::feed();
    let mut app = console_support::attach(&mut feed);
    app.apply_update(Update::Welcome { role: Role::Ingest, server: "engine".into(), user: "asr".into(), floor: None });
    let call = console_support::connected_call(app.floor());
    assert!(app.run_command_line(&format!("barge {call}")).is_empty(), "nothing is sent");
    let said = app.messages.back().map(|m| m.text.clone()).unwrap_or_default();
    assert!(said.contains("the ingest role cannot barge: ask for a supervisor token"), "{said}");
    assert!(!app.may(callfloor::console::action::Action::Ack));
}

/// A connection lost while lines wait for their answers: each such line is reported as unanswered (it may or may
/// not have been fed) and counted against the run, never sent twice; lines read while the link is down wait for it.
#[tokio::test]
async fn lines_in_flight_when_the_connection_drops_are_reported_not_resent_and_later_lines_wait_for_the_link() {
    use callfloor::client::ingest::{self, IngestOptions};
    use callfloor::protocol::{self, ClientMsg};
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("cannot bind") };
    let Ok(addr) = listener.local_addr() else { panic!("no address") };
    let mut config = ClientConfig::new(format!("ws://{addr}"), FEEDER);
    config.backoff_initial = Duration::from_millis(10);
    let (tx, input) = mpsc::channel(4);
    assert!(tx.send(Ok(SCAMMED.to_string())).await.is_ok());
    let opts = IngestOptions { call: Some(CallId(7)), speaker: Speaker::Caller, lang: None, json: false, window: 4 };
    let status = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::ErrorKind::Other)?.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let run = tokio::spawn(ingest::run(config, opts, input, Shared(status.clone())));

    let Ok((tcp, _)) = guard("ingest connects", listener.accept()).await else { panic!("accept failed") };
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { panic!("handshake failed") };
    let _hello = guard("hello", ws.next()).await;
    let welcome = serde_json::json!({"type": "welcome", "protocol": 1, "role": "ingest", "server": "e", "user": "asr"});
    assert!(ws.send(Message::text(welcome.to_string())).await.is_ok());
    match guard("the line", ws.next()).await {
        Some(Ok(Message::Text(t))) => {
            assert!(matches!(protocol::decode_client(&t), Ok(ClientMsg::Command { .. })), "{t}");
        }
        other => panic!("ingest sent {other:?} instead of its line"),
    }
    drop(ws);
    // The client connects again; a line read meanwhile waits for the new connection and is answered there.
    let Ok((tcp, _)) = guard("ingest reconnects", listener.accept()).await else { panic!("accept failed") };
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { panic!("handshake failed") };
    let _hello = guard("hello again", ws.next()).await;
    assert!(tx.send(Ok(HAPPY.to_string())).await.is_ok());
    drop(tx);
    assert!(ws.send(Message::text(welcome.to_string())).await.is_ok());
    let id = match guard("the second line", ws.next()).await {
        Some(Ok(Message::Text(t))) => match protocol::decode_client(&t) {
            Ok(ClientMsg::Command { id, command: Command::Utterance { text, .. } }) if text == HAPPY => id,
            other => panic!("ingest sent {other:?} instead of its second line"),
        },
        other => panic!("ingest sent {other:?} instead of its second line"),
    };
    let ack = serde_json::json!({"type": "ack", "id": id});
    assert!(ws.send(Message::text(ack.to_string())).await.is_ok());
    let summary = match guard("ingest to finish", run).await {
        Ok(Ok(s)) => s,
        other => panic!("ingest failed: {other:?}"),
    };
    assert_eq!((summary.accepted, summary.refused), (1, 1));
    let said = status.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    assert!(said.contains("line 1 unanswered: the connection was lost before the engine answered"), "{said}");
}
