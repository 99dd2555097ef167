//! The call engine. It *decides*: a supervisor command or a simulated fact becomes events, each applied to the
//! engine's [`Floor`] with [`Floor::apply`] (the same function every console mirror uses) and queued for the
//! server, the store and the metrics.

pub mod analysis;
mod commands;
mod dialect;
mod edu;
mod fin;
pub mod headless;
mod ingest;
pub mod metrics;
pub mod orders;
mod pbx;
mod routing;
pub mod server;
pub mod sim;
mod sim_source;
mod source;
pub mod store;
mod world;

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::*;
use analysis::{Analysis, Analyzer};
use metrics::MetricsTracker;
use routing::Routing;
use sim::Scheduler;
use sim::scenario::Scenario;
use source::{AnySource, Ctx, Source, with_ctx, with_source};

pub use source::Submitted;

/// The floor day every simulation runs on (a Monday), so runs are reproducible.
pub fn floor_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default()
}

/// The simulator's state of a call that the floor does not hold: the caller's mood and the conversation's pace.
#[derive(Debug, Clone)]
struct CallSim {
    intent: usize,
    /// Caller's mood in [-1, 1]; picks which lines they say.
    mood: f64,
    /// Bumped whenever scheduled facts about the call become void (ring-out, transfer, end).
    epoch: u32,
    /// Offers made so far; a ring or answer fact for an older offer is void.
    offers: u32,
    /// When the conversation should end, once answered (talk time still owed after a transfer).
    talk_left: chrono::Duration,
    talk_started: Option<Time>,
    /// Whose line is next: the agent greets first.
    agent_turn: bool,
    /// An agent has said a line on this call (the first one is the greeting); kept here so a line need not scan
    /// the transcript, which at a peak is a cache miss per call.
    agent_spoke: bool,
    lines: u32,
    /// Mood when the call ended, for the survey.
    final_mood: f64,
    lang: Lang,
    /// The caller's dialect and whether they are elderly (a repeat caller keeps them).
    dialect: Option<String>,
    elderly: bool,
}

/// What the core keeps of a call the floor does not hold, whichever source feeds it: who called (the key of the
/// per-caller index), the transcript lines kept as it ended, and which rules and sentiment alerts already acted on
/// it. Kept while the source keeps the call (the simulator until its survey, a PBX until the call ends).
#[derive(Debug, Clone)]
struct CallMemo {
    /// The caller's number: the key of the per-caller index (see `fin`).
    caller: String,
    /// Transcript lines kept as the call ended, for tickets opened after it left the floor.
    excerpt: Vec<Line>,
    /// Rules (indexes into the scenario's) already acted on for this call.
    rules_done: Vec<usize>,
    negative_alerted: Option<Severity>,
}

impl CallMemo {
    fn new(caller: String) -> CallMemo {
        CallMemo { caller, excerpt: Vec::new(), rules_done: Vec::new(), negative_alerted: None }
    }
}

/// The core's own timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Once per floor-second: time moves on, metric alerts are checked every few ticks.
    Tick,
    /// A ticket's due time passed at the given escalation level.
    TicketDue(TicketId, u8),
}

/// The simulator's state of a seat.
#[derive(Debug, Clone, Default)]
struct AgentSim {
    group: usize,
    /// Bumped when a wrap-up or break timer becomes void.
    epoch: u32,
    break_due: bool,
    off_shift: bool,
    /// A temporary seat (`add_seats`): it leaves at its `until` instead of a shift's end.
    temp: bool,
}

/// Last alert raised per cause, for de-duplication and re-trigger intervals.
#[derive(Debug, Clone, Copy)]
struct Raised {
    at: Time,
    severity: Severity,
}

/// The engine: the floor's core and the source that feeds it, the simulator or a PBX (see [`source`]).
pub struct Engine {
    core: Core,
    source: AnySource,
}

/// What the floor is whichever source feeds it: the floor itself, the rules and the analyzer, alerts, tickets,
/// metrics, the audit log, the outbox and the numbering of calls, tickets and alerts.
pub(super) struct Core {
    scenario: Scenario,
    floor: Floor,
    /// The core's timers; their stamps come from `stamps`, shared with the source's facts.
    timers: Scheduler<Timer>,
    stamps: u64,
    /// What the core keeps of calls, by id.
    calls: HashMap<CallId, CallMemo>,
    analyzer: Analyzer,
    metrics: MetricsTracker,
    /// Optional second tracker whose window covers a whole headless run, for its summary.
    run_metrics: Option<MetricsTracker>,
    raised: HashMap<(AlertKind, String), Raised>,
    /// Recent survey scores per queue, newest last.
    surveys: HashMap<String, std::collections::VecDeque<u8>>,
    /// Ticket categories opened per live (or surveyed) call, so a cause opens one ticket only; dropped when the
    /// source is done with the call ([`Core::forget_call`]).
    ticket_causes: HashMap<CallId, Vec<String>>,
    next_call: u32,
    next_alert: u32,
    next_ticket: u32,
    now: Time,
    outbox: Vec<Event>,
    events_total: u64,
    ticks: u64,
    identity: FloorIdentity,
    seed: u64,
    /// Per actor name: the refused commands of the current floor-minute, for the audit log's refusal budget.
    refusals: HashMap<String, RefusalWindow>,
    /// The per-caller index.
    fin: fin::Fin,
    /// What the feed commands of the ingest role left behind (calls already scored).
    feed: ingest::Feed,
}

/// The simulator's own state: its randomness, the callers and seats it plays, the arrival profile.
pub(super) struct SimSource {
    rng: ChaCha8Rng,
    /// The simulator's facts, stamped from the core's counter.
    sched: Scheduler,
    /// Analysis of every bank line, computed once: lines are picked from these, so the hot path never re-analyses.
    bank_analysis: HashMap<String, Analysis>,
    routing: Routing,
    calls: HashMap<CallId, CallSim>,
    agents: HashMap<AgentId, AgentSim>,
    /// Peak arrival rate per second over the day, for thinning.
    max_rate: f64,
    /// Peak windows as (from, to) seconds of the day and multiplier, parsed once.
    peaks: Vec<(u32, u32, f64)>,
    /// Callbacks assigned (or due for another attempt) that wait for a free seat, oldest first.
    cb_pending: Vec<CallId>,
    /// Temporary seats named so far (names are handed out in turn).
    temp_seats_named: u32,
    /// Seats that handle a dialect (a seat never loses its dialects), so the dialect routing rule looks at these
    /// only, not at every seat of a big floor.
    dialect_seats: Vec<AgentId>,
    /// Randomness of suggestion-card use, apart from `rng` so cards do not change the rest of a seeded run.
    card_rng: ChaCha8Rng,
    /// Randomness of callers' dialects and age, apart from `rng` so a floor without dialects runs as before them.
    dialect_rng: ChaCha8Rng,
    /// The order lookup: the scenario's table, or the HTTP requests waiting to be started.
    orders: orders::Orders,
    /// Randomness of identity checks, confirmations and repeat callers (see `fin`).
    fin_rng: ChaCha8Rng,
    /// Callers who will call again, by their earlier call.
    redials: HashMap<CallId, fin::Redial>,
}

impl SimSource {
    fn new(scenario: &Scenario, analyzer: &Analyzer, seed: u64) -> SimSource {
        let mut bank_analysis = HashMap::new();
        let banks = scenario
            .intents
            .iter()
            .flat_map(|i| std::iter::once(&i.lines).chain(i.agent_lines.as_ref()))
            .chain(std::iter::once(&scenario.agent_lines));
        for bank in banks {
            for m in [&bank.zh, &bank.en] {
                for line in m.positive.iter().chain(&m.neutral).chain(&m.negative) {
                    bank_analysis.entry(line.clone()).or_insert_with(|| analyzer.analyze(line));
                }
            }
        }
        let max_mult = scenario.arrivals.peaks.iter().map(|p| p.multiplier).fold(1.0f64, f64::max);
        let max_rate = scenario.arrivals.base_per_hour.max(0.0) * max_mult / 3600.0;
        let peaks = scenario.arrivals.peaks.iter().map(|p| (p.from.secs(), p.to.secs(), p.multiplier)).collect();
        SimSource {
            rng: ChaCha8Rng::seed_from_u64(seed),
            sched: Scheduler::default(),
            bank_analysis,
            routing: Routing::default(),
            calls: HashMap::new(),
            agents: HashMap::new(),
            max_rate,
            peaks,
            cb_pending: Vec::new(),
            temp_seats_named: 0,
            dialect_seats: Vec::new(),
            card_rng: ChaCha8Rng::seed_from_u64(seed ^ CARD_SEED_SALT),
            dialect_rng: ChaCha8Rng::seed_from_u64(seed ^ dialect::DIALECT_SEED_SALT),
            orders: orders::Orders::new(scenario.orders.as_ref(), seed),
            fin_rng: fin::rng(seed),
            redials: HashMap::new(),
        }
    }
}

/// Mixed into the seed for the suggestion cards' own randomness.
const CARD_SEED_SALT: u64 = 0x6361_7264_7321;

/// Ids an audit entry's command lists (`ack_alerts` alerts, `reassign` queues); the rest are counted in a `more`
/// field, so a bulk command does not put tens of kilobytes into every snapshot's audit list.
const AUDIT_IDS_MAX: usize = 50;
/// Characters of each text (a note, a line, a queue name) a refused command's audit entry keeps; a longer one is cut
/// and ends in `…`. A refused command changed nothing, so its entry needs only enough to say what was tried.
pub const AUDIT_REFUSED_TEXT_CHARS: usize = 200;
/// Refused-command entries one actor adds to the audit log per floor-minute; the rest of that minute share one
/// entry (its `more` counts them), written once the minute is over. Commands carried out are always audited.
pub const AUDIT_REFUSALS_PER_MIN: u32 = 20;
const REFUSAL_WINDOW_SECS: i64 = 60;
/// Characters of a refused command's outcome kept in its entry (a refusal may quote what was sent, say a queue name).
const AUDIT_OUTCOME_CHARS: usize = 2 * AUDIT_REFUSED_TEXT_CHARS;

/// `s` cut to `max` characters, ending in `…` when something was cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((end, _)) => format!("{}…", &s[..end]),
    }
}

/// A command as its audit entry records it: its wire JSON, with each text cut to `text_max` characters and long id
/// lists cut to [`AUDIT_IDS_MAX`] ids and a `"more": n` count.
fn audit_text(cmd: &Command, text_max: usize) -> String {
    let text = |s: &String| cut(s, text_max);
    let queue = |q: &QueueId| QueueId(cut(q.as_str(), text_max));
    let mut left_out = 0;
    let short = match cmd {
        Command::Say { call, text: t } => Command::Say { call: *call, text: text(t) },
        Command::Note { ticket, text: t } => Command::Note { ticket: *ticket, text: text(t) },
        Command::Escalate { ticket, note } => Command::Escalate { ticket: *ticket, note: text(note) },
        Command::Resolve { ticket, note } => Command::Resolve { ticket: *ticket, note: text(note) },
        Command::Confirm { call, accept, note } => {
            Command::Confirm { call: *call, accept: *accept, note: note.as_ref().map(text) }
        }
        Command::Transfer { call, to_agent, to_queue } => {
            Command::Transfer { call: *call, to_agent: *to_agent, to_queue: to_queue.as_ref().map(queue) }
        }
        Command::Reassign { agent, queues } => {
            left_out = queues.len().saturating_sub(AUDIT_IDS_MAX);
            Command::Reassign { agent: *agent, queues: queues.iter().take(AUDIT_IDS_MAX).map(queue).collect() }
        }
        Command::AckAlerts { alerts } => {
            left_out = alerts.len().saturating_sub(AUDIT_IDS_MAX);
            Command::AckAlerts { alerts: alerts.iter().take(AUDIT_IDS_MAX).copied().collect() }
        }
        other => other.clone(),
    };
    if left_out > 0
        && let Ok(serde_json::Value::Object(mut obj)) = serde_json::to_value(&short)
    {
        obj.insert("more".into(), serde_json::Value::from(left_out));
        return serde_json::Value::Object(obj).to_string();
    }
    serde_json::to_string(&short).unwrap_or_else(|_| cmd.name().to_string())
}

/// One actor's refused commands in the current floor-minute.
#[derive(Debug, Clone)]
struct RefusalWindow {
    start: Time,
    /// Entries written one by one in this window.
    entries: u32,
    /// Refusals past [`AUDIT_REFUSALS_PER_MIN`], not audited yet...
    held: u32,
    /// ...and the newest of them, as its entry will show it: role, command, outcome.
    last: Option<(Role, String, String)>,
}

impl Engine {
    /// A floor for `scenario`, opened at the scenario's start time, with randomness from `seed`.
    pub fn new(scenario: Scenario, seed: u64) -> Engine {
        let start_s = scenario.scenario.start.secs();
        let start = Utc.from_utc_datetime(&floor_date().and_hms_opt(0, 0, 0).unwrap_or_default())
            + chrono::Duration::seconds(start_s as i64);
        Engine::starting_at(scenario, seed, start)
    }

    /// A floor for `scenario` opened at floor time `start` (a restarted floor continues from where it stopped).
    pub fn starting_at(scenario: Scenario, seed: u64, start: Time) -> Engine {
        Engine::build(scenario, seed, start, None)
    }

    fn build(scenario: Scenario, seed: u64, start: Time, pbx: Option<pbx::PbxSource>) -> Engine {
        let analyzer = Analyzer::new(&scenario.rules);
        let source = match pbx {
            Some(p) => AnySource::Pbx(Box::new(p)),
            None => AnySource::Sim(Box::new(SimSource::new(&scenario, &analyzer, seed))),
        };
        let window_s = scenario.thresholds.window_min.clamp(1, 1440) * 60;
        let mut engine = Engine {
            core: Core {
                floor: Floor::default(),
                timers: Scheduler::default(),
                stamps: 0,
                calls: HashMap::new(),
                analyzer,
                metrics: MetricsTracker::new(window_s),
                run_metrics: None,
                raised: HashMap::new(),
                ticket_causes: HashMap::new(),
                surveys: HashMap::new(),
                next_call: 1000,
                next_alert: 0,
                next_ticket: 0,
                now: start,
                outbox: Vec::new(),
                events_total: 0,
                ticks: 0,
                seed,
                // From the OS's randomness, not the seed: two runs of one scenario are two floors.
                identity: FloorIdentity { id: format!("{:016x}", rand::random::<u64>()), started: Utc::now() },
                refusals: HashMap::new(),
                fin: fin::Fin::default(),
                feed: ingest::Feed::default(),
                scenario,
            },
            source,
        };
        with_ctx!(engine, ctx => ctx.open_floor());
        engine
    }

    /// The scenario's id (`hospital`, `bank`…).
    pub fn scenario_id(&self) -> &str {
        &self.core.scenario.scenario.id
    }

    /// The scenario's knowledge base, if it names one.
    pub fn knowledge(&self) -> Option<&crate::kb::KnowledgeBase> {
        self.core.scenario.kb.as_ref()
    }

    /// Whether the scenario lets the store keep transcripts and caller numbers unmasked.
    pub fn stores_clear_transcripts(&self) -> bool {
        self.core.scenario.privacy.store_clear_transcripts
    }

    /// The highest call, ticket and alert numbers handed out so far.
    pub fn numbering(&self) -> store::Numbering {
        store::Numbering { call: self.core.next_call, ticket: self.core.next_ticket, alert: self.core.next_alert }
    }

    /// Continues a floor saved in a store: reopens the floor at the floor time the last run reached (when later than
    /// this one's), numbers ids after every id the store has seen, and puts back the open tickets (with their SLA
    /// timers), the unacknowledged alerts and the newest audit entries. Their events go to the outbox like any
    /// other; a server discards them, since clients get the floor as a snapshot.
    pub fn resume(&mut self, saved: &store::Resume) {
        if let Some(t) = saved.floor_time
            && t > self.core.now
            && with_source!(self, s => s.reopens_at_saved_time())
        {
            let fresh = Engine::starting_at(self.core.scenario.clone(), self.core.seed, t);
            let identity = self.core.identity.clone();
            *self = fresh;
            self.core.identity = identity;
        }
        with_ctx!(self, ctx => ctx.resume(saved));
    }

    /// The engine's floor: the single source of truth.
    pub fn floor(&self) -> &Floor {
        &self.core.floor
    }

    /// Which floor this is: a random instance id made when the engine was made, and when it started.
    pub fn identity(&self) -> &FloorIdentity {
        &self.core.identity
    }

    /// Replaces the floor's identity: the server stamps the time it starts serving; tests and local feeds may use
    /// a fixed one.
    pub fn set_identity(&mut self, identity: FloorIdentity) {
        self.core.identity = identity;
    }

    /// Current floor time.
    pub fn now(&self) -> Time {
        self.core.now
    }

    /// Events produced since the engine was made.
    pub fn events_total(&self) -> u64 {
        self.core.events_total
    }

    /// Runs the floor up to floor time `t` (no-op if `t` is not later than now): the source's facts and the core's
    /// timers, in time order.
    pub fn advance_to(&mut self, t: Time) {
        with_ctx!(self, ctx => ctx.advance_to(t));
    }

    /// Executes a supervisor command on the floor: checks the role, decides, applies the events, and writes the
    /// audit entry (refusals included). A command only a PBX can carry out is refused here (it goes through
    /// [`Engine::submit`] on a served floor).
    pub fn command(&mut self, actor: &Actor, cmd: &Command) -> Result<(), CommandError> {
        match self.submit(actor, cmd)? {
            Submitted::Done => Ok(()),
            Submitted::Pending(_) => self.pbx_outcome(
                actor,
                cmd,
                Err("not sent: the PBX carries this command out, and only a served floor sends it there".into()),
            ),
        }
    }

    /// Runs a supervisor command: checks the role, then the source carries it out on the floor (the simulator, and
    /// a PBX floor for what the core does by itself: alerts, tickets, confirmations, feed lines) or, on a PBX floor,
    /// checks it and hands back the [`crate::bridge::PbxAction`] to send. Carried-out and refused commands are
    /// audited here; a pending one by [`Engine::pbx_outcome`].
    pub fn submit(&mut self, actor: &Actor, cmd: &Command) -> Result<Submitted, CommandError> {
        with_ctx!(self, ctx => ctx.submit(actor, cmd))
    }

    /// What the PBX answered to a pending command: its audit entry is written, and the client's answer returned.
    pub fn pbx_outcome(
        &mut self,
        actor: &Actor,
        cmd: &Command,
        outcome: Result<(), String>,
    ) -> Result<(), CommandError> {
        with_ctx!(self, ctx => ctx.pbx_outcome(actor, cmd, outcome))
    }

    /// Writes the audit entry of a command refused before it reached the engine (the server's rate limit), so the
    /// audit log counts every refusal a supervisor saw. `more` is the number of further commands, refused the same
    /// way, that this one entry stands for.
    pub fn audit_refusal(&mut self, actor: &Actor, cmd: &Command, err: &CommandError, more: u32) {
        with_ctx!(self, ctx => ctx.audit_refusal(actor, cmd, err, more));
    }

    /// Applies what a PBX source saw. Ignored on a simulated floor.
    pub fn observe(&mut self, obs: crate::bridge::Observation) {
        with_ctx!(self, ctx => Source::observe(&mut ctx, obs));
    }

    /// Observations dropped because the floor could not apply them (always 0 on a simulated floor).
    pub fn out_of_order(&self) -> u64 {
        with_source!(self, s => s.out_of_order())
    }

    /// The PBX's names of this floor's queues, seats and supervisors' devices (empty on a simulated floor).
    pub fn roster(&self) -> crate::bridge::Roster {
        with_source!(self, s => s.roster())
    }

    /// The floor call a PBX call key stands for.
    pub fn call_of_key(&self, key: &crate::bridge::CallKey) -> Option<CallId> {
        with_source!(self, s => s.call_of_key(key))
    }

    /// Takes the events produced since the last call (already applied to the floor).
    pub fn drain(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.core.outbox)
    }

    /// Drops the queued events without handing them out (for headless runs that only count them).
    pub fn discard_outbox(&mut self) {
        self.core.outbox.clear();
    }

    /// Metric figures at the current floor time.
    pub fn metrics(&self) -> FloorMetrics {
        self.core.metrics.snapshot(&self.core.floor, self.core.now)
    }

    /// Also tracks metrics over a window of `secs` (a whole run), from now on.
    pub fn track_whole_run(&mut self, secs: u32) {
        self.core.run_metrics = Some(MetricsTracker::new(secs.max(1)));
    }

    /// Figures over the whole-run window set by [`Engine::track_whole_run`].
    pub fn run_metrics(&self) -> Option<FloorMetrics> {
        self.core.run_metrics.as_ref().map(|m| m.snapshot(&self.core.floor, self.core.now))
    }
}

impl Core {
    /// The next stamp: facts and timers due at the same time run in the order they were scheduled.
    fn stamp(&mut self) -> u64 {
        self.stamps += 1;
        self.stamps
    }

    /// Sets a core timer at `t`.
    fn timer(&mut self, t: Time, timer: Timer) {
        let stamp = self.stamp();
        self.timers.at_stamped(t, stamp, timer);
    }

    /// Forgets what the core kept of a call that is over.
    fn forget_call(&mut self, id: CallId) {
        self.calls.remove(&id);
        self.ticket_causes.remove(&id);
    }
}

impl<S: Source> Ctx<'_, S> {
    /// Continues a floor saved in a store (after [`Engine::resume`] reopened a simulated floor at its saved time).
    fn resume(&mut self, saved: &store::Resume) {
        let n =
            store::Numbering { call: self.core.next_call, ticket: self.core.next_ticket, alert: self.core.next_alert }
                .max(saved.numbering);
        self.core.next_call = n.call;
        self.core.next_ticket = n.ticket;
        self.core.next_alert = n.alert;
        self.core.fin.restore(saved.caller_salt.as_deref(), &saved.callers);
        S::restore_seats(self, &saved.temp_seats);
        for (agent, queues) in &saved.seats {
            let known = |q: &QueueId| self.core.floor.queues.iter().any(|k| &k.id == q);
            if self.core.floor.agents.contains_key(agent) && queues.iter().all(known) {
                self.emit(EventKind::AgentReassigned { agent: *agent, queues: queues.clone() });
            }
        }
        for entry in &saved.audit {
            self.emit(EventKind::Audited { entry: entry.clone() });
        }
        for alert in &saved.alerts {
            self.emit(EventKind::AlertRaised { alert: alert.clone() });
        }
        for ticket in &saved.tickets {
            let (id, level, due) = (ticket.id, ticket.level, ticket.due);
            self.emit(EventKind::TicketOpened { ticket: ticket.clone() });
            let at = due.max(self.core.now);
            self.core.timer(at, Timer::TicketDue(id, level));
        }
        S::restore_callbacks(self, &saved.callbacks, saved.floor_time);
    }

    /// Runs the source's facts and the core's timers due up to `t`, in (time, stamp) order.
    fn advance_to(&mut self, t: Time) {
        loop {
            let core = self.core.timers.peek_due(t);
            let source = self.src.next_due(t);
            let core_first = match (core, source) {
                (Some(c), Some(s)) => c < s,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if core_first {
                let Some((at, timer)) = self.core.timers.pop_due(t) else { break };
                if at > self.core.now {
                    self.core.now = at;
                }
                self.on_timer(timer);
            } else {
                S::run_next(self, t);
            }
        }
        if t > self.core.now {
            self.core.now = t;
        }
        self.close_refusal_windows();
    }

    fn on_timer(&mut self, timer: Timer) {
        match timer {
            Timer::Tick => self.on_tick(),
            Timer::TicketDue(t, level) => self.ticket_due(t, level),
        }
    }

    /// See [`Engine::submit`].
    fn submit(&mut self, actor: &Actor, cmd: &Command) -> Result<Submitted, CommandError> {
        let result = if cmd.allowed_for(actor.role) {
            match S::command(self, actor, cmd) {
                Ok(source::Acted::Pending(action)) => return Ok(Submitted::Pending(action)),
                Ok(source::Acted::Done(detail)) => Ok(detail),
                Err(e) => Err(e),
            }
        } else {
            Err(CommandError::forbidden(cmd.refusal_for(actor.role)))
        };
        // The audit log is what people did: a feeder sends a line every few seconds per call, which would push every
        // supervisor's action off the floor's list, and its effects (rule hits, alerts, tags) are events already.
        if actor.role == Role::Ingest {
            return result.map(|_| Submitted::Done);
        }
        let outcome = match &result {
            Ok(None) => "ok".to_string(),
            Ok(Some(detail)) => format!("ok: {detail}"),
            Err(e) => format!("{}: {}", e.code.as_str(), e.message),
        };
        self.audit(actor, cmd, result.is_ok(), outcome, 0);
        result.map(|_| Submitted::Done)
    }

    fn pbx_outcome(&mut self, actor: &Actor, cmd: &Command, outcome: Result<(), String>) -> Result<(), CommandError> {
        match outcome {
            Ok(()) => {
                self.write_ok_audit(actor, cmd, "ok: sent to the PBX".into());
                Ok(())
            }
            Err(why) => {
                let e = CommandError::pbx_refused(why);
                self.audit_refusal(actor, cmd, &e, 0);
                Err(e)
            }
        }
    }

    fn audit_refusal(&mut self, actor: &Actor, cmd: &Command, err: &CommandError, more: u32) {
        // A feeder's commands are not audited (see `submit`), rate-limited ones neither.
        if actor.role == Role::Ingest {
            return;
        }
        self.audit(actor, cmd, false, format!("{}: {}", err.code.as_str(), err.message), more);
    }

    /// Writes a command's audit entry. A carried-out command always gets one. A refused one gets one while its actor
    /// is within [`AUDIT_REFUSALS_PER_MIN`] refusal entries this floor-minute; past that it is held and counted, and
    /// the held ones of the minute become one entry when the minute is over. Refused commands' texts are cut to
    /// [`AUDIT_REFUSED_TEXT_CHARS`]. `more`: further commands, refused the same way, this one stands for.
    fn audit(&mut self, actor: &Actor, cmd: &Command, ok: bool, outcome: String, more: u32) {
        if !ok {
            let now = self.core.now;
            let mut window = match self.core.refusals.remove(&actor.name) {
                Some(w) if now < w.start + chrono::Duration::seconds(REFUSAL_WINDOW_SECS) => w,
                Some(w) => {
                    self.write_held(&actor.name, w);
                    RefusalWindow { start: now, entries: 0, held: 0, last: None }
                }
                None => RefusalWindow { start: now, entries: 0, held: 0, last: None },
            };
            let command = audit_text(cmd, AUDIT_REFUSED_TEXT_CHARS);
            let outcome = cut(&outcome, AUDIT_OUTCOME_CHARS);
            if window.entries >= AUDIT_REFUSALS_PER_MIN {
                window.held = window.held.saturating_add(more.saturating_add(1));
                window.last = Some((actor.role, command, outcome));
                self.core.refusals.insert(actor.name.clone(), window);
            } else {
                window.entries += 1;
                self.core.refusals.insert(actor.name.clone(), window);
                self.write_audit(actor.name.clone(), actor.role, command, false, outcome, more);
            }
            return;
        }
        self.write_audit(actor.name.clone(), actor.role, audit_text(cmd, NOTE_MAX_CHARS), true, outcome, more);
    }

    /// Writes the audit entry of a command carried out, with `outcome` (`ok: …`).
    fn write_ok_audit(&mut self, actor: &Actor, cmd: &Command, outcome: String) {
        self.audit(actor, cmd, true, outcome, 0);
    }

    fn write_audit(&mut self, actor: String, role: Role, command: String, ok: bool, outcome: String, more: u32) {
        let entry = AuditEntry { at: self.core.now, actor, role, command, ok, outcome, more };
        self.emit(EventKind::Audited { entry });
    }

    /// Writes the one entry that stands for the refusals a window held back.
    fn write_held(&mut self, actor: &str, w: RefusalWindow) {
        let Some((role, command, outcome)) = w.last else { return };
        let n = w.held;
        let outcome = format!(
            "{outcome} (the last of {n} refused commands in the floor-minute from {}: past {AUDIT_REFUSALS_PER_MIN} a minute, refusals share one entry)",
            w.start.format("%H:%M:%S"),
        );
        self.write_audit(actor.to_string(), role, command, false, outcome, n.saturating_sub(1));
    }

    /// Ends the refusal windows whose minute is over, writing the entry for what each held back.
    fn close_refusal_windows(&mut self) {
        if self.core.refusals.is_empty() {
            return;
        }
        let end = self.core.now - chrono::Duration::seconds(REFUSAL_WINDOW_SECS);
        let mut done: Vec<String> =
            self.core.refusals.iter().filter(|(_, w)| w.start <= end).map(|(a, _)| a.clone()).collect();
        done.sort();
        for actor in done {
            if let Some(w) = self.core.refusals.remove(&actor) {
                self.write_held(&actor, w);
            }
        }
    }

    /// Applies one event: metrics observe it, the floor applies it, the source sees it, it joins the outbox.
    fn emit(&mut self, kind: EventKind) {
        let ev = Event { at: self.core.now, kind };
        self.core.metrics.observe(&ev, &self.core.floor);
        if let Some(m) = &mut self.core.run_metrics {
            m.observe(&ev, &self.core.floor);
        }
        self.core.floor.apply(&ev);
        self.src.after_event(&ev, &self.core.floor);
        self.core.events_total += 1;
        self.core.outbox.push(ev);
    }
}
