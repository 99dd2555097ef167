//! The console's state and its one mutator: [`App::apply`] takes what the client reports, [`App::on_key`] and
//! [`App::update`] take what the user asks for and return the commands to send. Rendering only reads an `App`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use ratatui::crossterm::event::KeyEvent;
use tui_textarea::TextArea;

use super::action::Action;
use super::command_line::{self, Parsed};
use super::keymap::{Context, Key, KeyName, Keymap};
use super::theme::{self, Theme};
use crate::client::{ConnState, Outgoing, Update};
use crate::model::*;

/// The views, in tab order (the Call view opens from a list and is not a tab of its own).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum View {
    Floor,
    Calls,
    Agents,
    Alerts,
    Tickets,
    Callbacks,
    Audit,
    Call,
}

impl View {
    /// The tabs, in the order number keys reach them.
    pub const TABS: [View; 7] =
        [View::Floor, View::Calls, View::Agents, View::Alerts, View::Tickets, View::Callbacks, View::Audit];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Floor => "Floor",
            View::Calls => "Calls",
            View::Agents => "Agents",
            View::Alerts => "Alerts",
            View::Tickets => "Tickets",
            View::Callbacks => "Callbacks",
            View::Audit => "Audit",
            View::Call => "Call",
        }
    }

    /// The keymap section that applies in this view.
    pub fn context(self) -> Context {
        match self {
            View::Floor => Context::Floor,
            View::Calls => Context::Calls,
            View::Agents => Context::Agents,
            View::Alerts => Context::Alerts,
            View::Tickets => Context::Tickets,
            View::Callbacks => Context::Callbacks,
            View::Audit => Context::Audit,
            View::Call => Context::Call,
        }
    }
}

/// How the Calls view is sorted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SortKey {
    /// Longest wait first.
    Wait,
    /// Most negative sentiment first.
    Sentiment,
    /// Highest priority first (urgent flags break ties).
    Priority,
}

impl SortKey {
    /// The name `:sort` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Wait => "wait",
            SortKey::Sentiment => "sentiment",
            SortKey::Priority => "priority",
        }
    }
    /// Parses a `:sort` argument.
    pub fn from_name(s: &str) -> Option<SortKey> {
        [SortKey::Wait, SortKey::Sentiment, SortKey::Priority].into_iter().find(|k| k.as_str() == s)
    }
}

/// What a ticket text line is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TicketOp {
    Escalate,
    Resolve,
    Note,
}

impl TicketOp {
    /// The verb, as in prompts.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketOp::Escalate => "escalate",
            TicketOp::Resolve => "resolve",
            TicketOp::Note => "note",
        }
    }
}

/// A one-line text entry that has the keyboard.
#[derive(Debug, Clone)]
pub enum Input {
    /// The `:` command line.
    Command(TextArea<'static>),
    /// A filter for the Calls or Agents list, applied as you type.
    Filter(View, TextArea<'static>),
    /// A line to say into a call.
    Say(CallId, TextArea<'static>),
    /// A note for escalating, resolving or noting a ticket.
    Ticket(TicketId, TicketOp, TextArea<'static>),
}

impl Input {
    /// The text area being typed into.
    pub fn area(&self) -> &TextArea<'static> {
        match self {
            Input::Command(a) | Input::Filter(_, a) | Input::Say(_, a) | Input::Ticket(_, _, a) => a,
        }
    }
    fn area_mut(&mut self) -> &mut TextArea<'static> {
        match self {
            Input::Command(a) | Input::Filter(_, a) | Input::Say(_, a) | Input::Ticket(_, _, a) => a,
        }
    }
    /// The text typed so far.
    pub fn text(&self) -> String {
        self.area().lines().join(" ")
    }
}

/// Where a call can be transferred.
#[derive(Clone, PartialEq, Debug)]
pub enum TransferTarget {
    Queue(QueueId),
    Agent(AgentId),
}

/// A modal dialog.
#[derive(Clone, PartialEq, Debug)]
pub enum Dialog {
    /// Choose the queues an agent serves (multi-select).
    Reassign { agent: AgentId, choices: Vec<(QueueId, bool)>, cursor: usize },
    /// Set an agent's state.
    AgentState { agent: AgentId, cursor: usize },
    /// Transfer a call to a queue or an available agent.
    Transfer { call: CallId, targets: Vec<TransferTarget>, cursor: usize },
    /// Quit while barged into a call?
    ConfirmQuit { call: CallId },
}

/// States a supervisor may set an agent to.
pub const SETTABLE_STATES: [AgentState; 3] = [AgentState::Available, AgentState::Break, AgentState::Offline];

/// A short message in the corner: an ack, an error, a local notice.
#[derive(Clone, PartialEq, Debug)]
pub struct Toast {
    pub text: String,
    pub ok: bool,
    /// Seconds left on screen.
    pub ttl: u8,
}

const TOAST_SECS: u8 = 6;
const TOASTS_MAX: usize = 4;
/// Minutes of arrivals the console counts itself when the engine sends no per-minute figures.
const ARRIVAL_MINUTES: usize = 60;

/// A selection in a list, kept on the same item when the list reorders.
#[derive(Clone, Debug, PartialEq)]
pub struct Sel<T> {
    pub index: usize,
    pub id: Option<T>,
}

impl<T> Default for Sel<T> {
    fn default() -> Self {
        Sel { index: 0, id: None }
    }
}

impl<T: PartialEq + Clone> Sel<T> {
    fn follow(&mut self, list: &[T]) {
        if let Some(i) = self.id.as_ref().and_then(|id| list.iter().position(|x| x == id)) {
            self.index = i;
        } else {
            self.index = self.index.min(list.len().saturating_sub(1));
        }
        self.id = list.get(self.index).cloned();
    }
    fn set(&mut self, index: usize, list: &[T]) {
        self.index = index.min(list.len().saturating_sub(1));
        self.id = list.get(self.index).cloned();
    }
}

/// Settings an App starts with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    /// Ring the bell on new urgent alerts.
    pub bell: bool,
    /// Capture the mouse (clicks, wheel).
    pub mouse: bool,
    /// Ask before risky commands.
    pub confirm: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            theme: Theme::builtin("default"),
            keymap: Keymap::builtin_default(),
            bell: true,
            mouse: true,
            confirm: true,
        }
    }
}

/// The console: a mirror of the floor plus everything the UI shows about it.
pub struct App {
    /// The mirror floor, changed only by snapshots and events.
    pub floor: Floor,
    pub metrics: Option<FloorMetrics>,
    pub conn: ConnState,
    /// Role the server granted (None before the welcome).
    pub role: Option<Role>,
    /// The engine's name and version, from the welcome.
    pub server: String,
    /// Our supervisor name on the floor, from the welcome.
    pub user: String,
    /// Whether any floor data has arrived.
    pub has_data: bool,
    /// Wall time since the last update, set by the event loop before each draw (render never reads a clock).
    pub data_age: Duration,

    pub view: View,
    /// The view to return to when the Call view closes.
    pub back: View,
    /// The call shown in the Call view.
    pub open_call: Option<CallId>,
    /// Transcript lines scrolled up from the newest.
    pub transcript_scroll: usize,
    pub sort: SortKey,
    pub calls_filter: String,
    pub agents_filter: String,

    /// The calls list as shown: filtered and sorted.
    pub calls: Vec<CallId>,
    pub agents: Vec<AgentId>,
    /// Alerts, newest first.
    pub alerts: Vec<AlertId>,
    /// Open and escalated tickets, soonest due first.
    pub tickets: Vec<TicketId>,
    pub calls_sel: Sel<CallId>,
    pub agents_sel: Sel<AgentId>,
    pub alerts_sel: Sel<AlertId>,
    pub tickets_sel: Sel<TicketId>,
    pub callbacks_sel: Sel<CallId>,
    pub audit_sel: Sel<usize>,

    pub input: Option<Input>,
    /// Completions offered for the command line (shown above it).
    pub completions: Vec<String>,
    pub dialog: Option<Dialog>,
    pub help: bool,
    pub help_scroll: usize,
    pub toasts: VecDeque<Toast>,
    /// Commands sent and not yet answered: id → what the user asked for, in words.
    pub pending: BTreeMap<String, String>,
    next_id: u64,

    pub theme: Theme,
    pub keymap: Keymap,
    pub bell_enabled: bool,
    bell_pending: bool,
    /// Newest alert id already considered for the bell.
    bell_seen: Option<AlertId>,
    /// Show the newcomer's hint until the first key.
    pub show_hint: bool,
    pub quit: bool,
    /// Whether the terminal should report the mouse; the event loop follows it after every message.
    pub mouse: bool,
    /// Ask before risky commands (barge from a list, remove the last seat of a queue).
    pub confirm: bool,
    /// Set to ask the event loop to suspend the console (ctrl-z); the loop clears it.
    pub suspend: bool,
    /// The terminal's (width, height), set by the event loop before each draw and on resize.
    pub size: (u16, u16),
    /// Calls that arrived per floor-minute, counted from events: (minute since the epoch, count), oldest first.
    arrivals: VecDeque<(i64, u32)>,
}

impl App {
    /// An App with no floor yet (it shows "waiting for the engine" until the first snapshot).
    pub fn new(opts: AppOptions) -> App {
        App {
            floor: Floor::default(),
            metrics: None,
            conn: ConnState::Connecting { attempt: 1 },
            role: None,
            server: String::new(),
            user: String::new(),
            has_data: false,
            data_age: Duration::ZERO,
            view: View::Floor,
            back: View::Calls,
            open_call: None,
            transcript_scroll: 0,
            sort: SortKey::Wait,
            calls_filter: String::new(),
            agents_filter: String::new(),
            calls: Vec::new(),
            agents: Vec::new(),
            alerts: Vec::new(),
            tickets: Vec::new(),
            calls_sel: Sel::default(),
            agents_sel: Sel::default(),
            alerts_sel: Sel::default(),
            tickets_sel: Sel::default(),
            callbacks_sel: Sel::default(),
            audit_sel: Sel::default(),
            input: None,
            completions: Vec::new(),
            dialog: None,
            help: false,
            help_scroll: 0,
            toasts: VecDeque::new(),
            pending: BTreeMap::new(),
            next_id: 0,
            theme: opts.theme,
            keymap: opts.keymap,
            bell_enabled: opts.bell,
            bell_pending: false,
            bell_seen: None,
            show_hint: true,
            quit: false,
            mouse: opts.mouse,
            confirm: opts.confirm,
            suspend: false,
            size: (80, 24),
            arrivals: VecDeque::new(),
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the client reports.

    /// Takes one update from the client.
    pub fn apply(&mut self, update: Update) {
        match update {
            Update::Connection(state) => self.conn = state,
            Update::Welcome { role, server, user } => {
                self.role = Some(role);
                self.server = server;
                self.user = user;
            }
            Update::Snapshot { floor, .. } => {
                self.floor = *floor;
                self.has_data = true;
                self.conn = ConnState::Connected;
                self.refresh();
                self.check_bell();
            }
            Update::Events { events, .. } => {
                for ev in &events {
                    if matches!(ev.kind, EventKind::CallArrived { .. }) {
                        self.count_arrival(ev.at);
                    }
                    self.floor.apply(ev);
                }
                self.has_data = true;
                // The calls list keeps its rows until the next tick (once a second): rows that jump under the
                // cursor many times a second cannot be read or selected, and every jump redraws the table.
                // Ended calls stay as "ended" rows until then; new calls join at the tick.
                self.refresh_keeping_calls();
                self.check_bell();
            }
            Update::Metrics(m) => self.metrics = Some(*m),
            Update::Ack { id } => {
                let what = self.pending.remove(&id).unwrap_or_else(|| format!("command {id}"));
                self.toast(format!("✓ {what}"), true);
            }
            Update::Error { id, code, message } => {
                let what = id.and_then(|id| self.pending.remove(&id));
                let text = match what {
                    Some(w) => format!("✗ {w} refused ({}): {message}", code.as_str()),
                    None => format!("✗ {}: {message}", code.as_str()),
                };
                self.toast(text, false);
            }
        }
    }

    /// Called once a second by the event loop: toasts age and the calls list settles (see [`App::refresh`]).
    pub fn tick(&mut self) {
        for t in &mut self.toasts {
            t.ttl = t.ttl.saturating_sub(1);
        }
        self.toasts.retain(|t| t.ttl > 0);
        self.refresh();
    }

    /// Whether the bell should ring now (it rings once per new urgent alert); clears the request.
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.bell_pending) && self.bell_enabled
    }

    fn check_bell(&mut self) {
        let newest = self.floor.alerts.keys().next_back().copied();
        let fresh = self
            .floor
            .alerts
            .values()
            .rev()
            .take_while(|a| self.bell_seen.is_none_or(|seen| a.id > seen))
            .any(|a| a.acked.is_none() && a.severity == Severity::Critical);
        if fresh {
            self.bell_pending = true;
        }
        if newest.is_some() {
            self.bell_seen = newest;
        }
    }

    fn count_arrival(&mut self, at: Time) {
        let minute = at.timestamp().div_euclid(60);
        match self.arrivals.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => {
                // Minutes without arrivals count as zero.
                let last = self.arrivals.back().map(|(m, _)| *m);
                if let Some(last) = last {
                    for gap in (last + 1)..minute.min(last + ARRIVAL_MINUTES as i64) {
                        self.arrivals.push_back((gap, 0));
                    }
                }
                self.arrivals.push_back((minute, 1));
            }
        }
        while self.arrivals.len() > ARRIVAL_MINUTES {
            self.arrivals.pop_front();
        }
    }

    /// Calls arriving per floor-minute, oldest first: the engine's figures if it sends them, else the console's own
    /// count since it attached.
    pub fn arrivals_per_min(&self) -> Vec<u64> {
        match &self.metrics {
            Some(m) if !m.arrivals_per_min.is_empty() => m.arrivals_per_min.iter().map(|&n| n as u64).collect(),
            _ => self.arrivals.iter().map(|(_, n)| *n as u64).collect(),
        }
    }

    /// Recomputes the lists the views show (after the floor, a filter or the sort changed).
    pub fn refresh(&mut self) {
        self.refresh_calls();
        self.refresh_keeping_calls();
    }

    /// Re-sorts and re-filters the calls list.
    fn refresh_calls(&mut self) {
        let now = self.floor.time();
        let filter = self.calls_filter.to_lowercase();
        let mut calls: Vec<&Call> = self.floor.calls.values().filter(|c| call_matches(c, &filter)).collect();
        match self.sort {
            SortKey::Wait => calls.sort_by(|a, b| {
                let wa = if a.answered.is_none() { a.wait_secs(now) } else { -1.0 };
                let wb = if b.answered.is_none() { b.wait_secs(now) } else { -1.0 };
                wb.total_cmp(&wa).then_with(|| a.arrived.cmp(&b.arrived)).then(a.id.cmp(&b.id))
            }),
            SortKey::Sentiment => {
                calls.sort_by(|a, b| a.sentiment.total_cmp(&b.sentiment).then(a.id.cmp(&b.id)));
            }
            SortKey::Priority => calls.sort_by(|a, b| {
                (b.priority, b.flags.urgent, b.flags.risk)
                    .cmp(&(a.priority, a.flags.urgent, a.flags.risk))
                    .then(a.arrived.cmp(&b.arrived))
                    .then(a.id.cmp(&b.id))
            }),
        }
        self.calls = calls.into_iter().map(|c| c.id).collect();
        self.calls_sel.follow(&self.calls);
    }

    /// Recomputes every list but the calls list, whose rows stay put until the next [`App::refresh`].
    fn refresh_keeping_calls(&mut self) {
        let order: HashMap<&QueueId, usize> = self.floor.queues.iter().enumerate().map(|(i, q)| (&q.id, i)).collect();
        let afilter = self.agents_filter.to_lowercase();
        let mut agents: Vec<&Agent> = self.floor.agents.values().filter(|a| agent_matches(a, &afilter)).collect();
        agents.sort_by_key(|a| (a.queues.first().and_then(|q| order.get(q)).copied().unwrap_or(usize::MAX), a.id));
        self.agents = agents.into_iter().map(|a| a.id).collect();
        self.agents_sel.follow(&self.agents);

        self.alerts = self.floor.alerts.keys().rev().copied().collect();
        self.alerts_sel.follow(&self.alerts);

        let mut tickets: Vec<&Ticket> =
            self.floor.tickets.values().filter(|t| t.status != TicketStatus::Resolved).collect();
        tickets.sort_by_key(|t| (t.due, t.id));
        self.tickets = tickets.into_iter().map(|t| t.id).collect();
        self.tickets_sel.follow(&self.tickets);

        let callbacks: Vec<CallId> = self.floor.callbacks.iter().map(|c| c.call).collect();
        self.callbacks_sel.follow(&callbacks);
        let audit: Vec<usize> = (0..self.floor.audit.len()).collect();
        self.audit_sel.follow(&audit);
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the user asks for.

    /// Takes one key press; returns the commands to send.
    pub fn on_key(&mut self, ev: KeyEvent) -> Vec<Outgoing> {
        let Some(key) = Key::from_event(&ev) else { return Vec::new() };
        self.show_hint = false;
        if self.input.is_some() {
            return self.input_key(key, ev);
        }
        if self.dialog.is_some() {
            return self.dialog_key(key);
        }
        let ctx = if self.help { Context::Global } else { self.view.context() };
        match self.keymap.lookup(ctx, key) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    /// Carries out one action; returns the commands to send.
    pub fn update(&mut self, action: Action) -> Vec<Outgoing> {
        if self.help {
            match action {
                Action::ToggleHelp | Action::Close => {
                    self.help = false;
                    return Vec::new();
                }
                Action::SelectNext => self.help_scroll += 1,
                Action::SelectPrev => self.help_scroll = self.help_scroll.saturating_sub(1),
                Action::PageDown => self.help_scroll += 10,
                Action::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                Action::SelectFirst => self.help_scroll = 0,
                _ => {
                    self.help = false;
                    return self.update(action);
                }
            }
            return Vec::new();
        }
        match action {
            Action::Quit => {
                if let Some(call) = self.barged_call() {
                    self.dialog = Some(Dialog::ConfirmQuit { call });
                } else {
                    self.quit = true;
                }
            }
            Action::ForceQuit => self.quit = true,
            Action::ToggleHelp => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::OpenCommandLine => {
                self.input = Some(Input::Command(new_area()));
                self.completions.clear();
            }
            Action::Close => self.close(),
            Action::ViewFloor => self.switch(View::Floor),
            Action::ViewCalls => self.switch(View::Calls),
            Action::ViewAgents => self.switch(View::Agents),
            Action::ViewAlerts => self.switch(View::Alerts),
            Action::ViewTickets => self.switch(View::Tickets),
            Action::ViewCallbacks => self.switch(View::Callbacks),
            Action::ViewAudit => self.switch(View::Audit),
            Action::NextView | Action::PrevView => {
                let cur = if self.view == View::Call { self.back } else { self.view };
                let i = View::TABS.iter().position(|v| *v == cur).unwrap_or(0);
                let n = View::TABS.len();
                let j = if action == Action::NextView { (i + 1) % n } else { (i + n - 1) % n };
                self.switch(View::TABS[j]);
            }
            Action::SelectNext => self.move_sel(1),
            Action::SelectPrev => self.move_sel(-1),
            Action::PageDown => self.move_sel(10),
            Action::PageUp => self.move_sel(-10),
            Action::SelectFirst => self.move_sel(i64::MIN / 2),
            Action::SelectLast => self.move_sel(i64::MAX / 2),
            Action::OpenCall => match self.target_call() {
                Some(call) => self.open(call),
                None => self.notice("select a call first (2: calls)"),
            },
            Action::Filter => {
                let view = if self.view == View::Agents { View::Agents } else { View::Calls };
                if self.view != view {
                    self.switch(view);
                }
                let mut area = new_area();
                let current = if view == View::Agents { &self.agents_filter } else { &self.calls_filter };
                area.insert_str(current);
                self.input = Some(Input::Filter(view, area));
            }
            Action::CycleSort => {
                self.sort = match self.sort {
                    SortKey::Wait => SortKey::Sentiment,
                    SortKey::Sentiment => SortKey::Priority,
                    SortKey::Priority => SortKey::Wait,
                };
                self.refresh();
            }
            Action::SortByWait => self.set_sort(SortKey::Wait),
            Action::SortBySentiment => self.set_sort(SortKey::Sentiment),
            Action::SortByPriority => self.set_sort(SortKey::Priority),
            Action::Monitor | Action::Whisper | Action::Barge => {
                let Some(call) = self.target_call() else {
                    self.notice("select a call first (2: calls)");
                    return Vec::new();
                };
                let cmd = match action {
                    Action::Monitor => Command::Monitor { call },
                    Action::Whisper => Command::Whisper { call },
                    _ => Command::Barge { call },
                };
                if self.view != View::Call {
                    self.open(call);
                }
                return vec![self.send(cmd)];
            }
            Action::Leave => {
                let call = self.target_call().filter(|c| self.my_mode(*c).is_some()).or_else(|| self.my_calls().next());
                let Some(call) = call else {
                    self.notice("you are not on any call");
                    return Vec::new();
                };
                return vec![self.send(Command::Leave { call })];
            }
            Action::NextMode => {
                let Some(call) = self.target_call() else {
                    self.notice("select a call first (2: calls)");
                    return Vec::new();
                };
                let cmd = match self.my_mode(call) {
                    None | Some(SupervisorMode::Barge) => Command::Monitor { call },
                    Some(SupervisorMode::Monitor) => Command::Whisper { call },
                    Some(SupervisorMode::Whisper) => Command::Barge { call },
                };
                return vec![self.send(cmd)];
            }
            Action::Say => {
                let Some(call) = self.target_call() else {
                    self.notice("select a call first (2: calls)");
                    return Vec::new();
                };
                match self.my_mode(call) {
                    Some(SupervisorMode::Whisper | SupervisorMode::Barge) => {
                        self.input = Some(Input::Say(call, new_area()));
                    }
                    Some(SupervisorMode::Monitor) => {
                        self.notice(&format!("you monitor {call} silently: whisper (w) or barge (b) to speak"))
                    }
                    None => self.notice(&format!("join {call} first: whisper (w) or barge (b), then say")),
                }
            }
            Action::Transfer => {
                let Some(call) = self.target_call() else {
                    self.notice("select a call first (2: calls)");
                    return Vec::new();
                };
                let lang = self.floor.calls.get(&call).map(|c| c.lang);
                let mut targets: Vec<TransferTarget> =
                    self.floor.queues.iter().map(|q| TransferTarget::Queue(q.id.clone())).collect();
                targets.extend(
                    self.floor
                        .agents
                        .values()
                        .filter(|a| a.state == AgentState::Available && lang.is_none_or(|l| a.langs.contains(&l)))
                        .map(|a| TransferTarget::Agent(a.id)),
                );
                self.dialog = Some(Dialog::Transfer { call, targets, cursor: 0 });
            }
            Action::Reassign => {
                let Some(agent) = self.target_agent() else {
                    self.notice("select an agent first (3: agents)");
                    return Vec::new();
                };
                let current = self.floor.agents.get(&agent).map(|a| a.queues.clone()).unwrap_or_default();
                let choices = self.floor.queues.iter().map(|q| (q.id.clone(), current.contains(&q.id))).collect();
                self.dialog = Some(Dialog::Reassign { agent, choices, cursor: 0 });
            }
            Action::SetAgentState => {
                let Some(agent) = self.target_agent() else {
                    self.notice("select an agent first (3: agents)");
                    return Vec::new();
                };
                self.dialog = Some(Dialog::AgentState { agent, cursor: 0 });
            }
            Action::Ack => {
                let Some(alert) = self.target_alert() else {
                    self.notice("select an alert first (4: alerts)");
                    return Vec::new();
                };
                if let Some(ack) = self.floor.alerts.get(&alert).and_then(|a| a.acked.as_ref()) {
                    self.notice(&format!("{alert} was already acknowledged by {}", ack.by));
                    return Vec::new();
                }
                return vec![self.send(Command::AckAlert { alert })];
            }
            Action::AckAllVisible => return self.ack_all(),
            Action::Escalate | Action::Resolve | Action::Note => {
                let Some(ticket) = self.target_ticket() else {
                    self.notice("select a ticket first (5: tickets)");
                    return Vec::new();
                };
                let op = match action {
                    Action::Escalate => TicketOp::Escalate,
                    Action::Resolve => TicketOp::Resolve,
                    _ => TicketOp::Note,
                };
                self.input = Some(Input::Ticket(ticket, op, new_area()));
            }
            Action::CycleTheme => {
                let names: Vec<&str> = theme::BUILTIN.iter().map(|(n, _)| *n).collect();
                let i = names.iter().position(|n| *n == self.theme.name).map(|i| (i + 1) % names.len()).unwrap_or(0);
                self.theme = Theme::builtin(names[i]);
                self.notice(&format!("theme {}", names[i]));
            }
            Action::ToggleBell => {
                self.bell_enabled = !self.bell_enabled;
                let state = if self.bell_enabled { "on" } else { "off" };
                self.notice(&format!("bell {state}"));
            }
        }
        Vec::new()
    }

    fn close(&mut self) {
        if self.dialog.take().is_some() {
            return;
        }
        if self.view == View::Calls && !self.calls_filter.is_empty() {
            self.calls_filter.clear();
            self.refresh();
            return;
        }
        if self.view == View::Agents && !self.agents_filter.is_empty() {
            self.agents_filter.clear();
            self.refresh();
            return;
        }
        if self.view == View::Call {
            self.view = self.back;
        }
        self.completions.clear();
    }

    fn switch(&mut self, view: View) {
        self.view = view;
    }

    fn open(&mut self, call: CallId) {
        if self.view != View::Call {
            self.back = self.view;
        }
        self.view = View::Call;
        self.open_call = Some(call);
        self.transcript_scroll = 0;
    }

    fn set_sort(&mut self, key: SortKey) {
        self.sort = key;
        self.refresh();
    }

    fn move_sel(&mut self, by: i64) {
        let step = |index: usize, len: usize| -> usize {
            let i = (index as i64).saturating_add(by).clamp(0, len.saturating_sub(1) as i64);
            i as usize
        };
        match self.view {
            View::Calls => {
                let i = step(self.calls_sel.index, self.calls.len());
                self.calls_sel.set(i, &self.calls);
            }
            View::Agents => {
                let i = step(self.agents_sel.index, self.agents.len());
                self.agents_sel.set(i, &self.agents);
            }
            View::Alerts => {
                let i = step(self.alerts_sel.index, self.alerts.len());
                self.alerts_sel.set(i, &self.alerts);
            }
            View::Tickets => {
                let i = step(self.tickets_sel.index, self.tickets.len());
                self.tickets_sel.set(i, &self.tickets);
            }
            View::Callbacks => {
                let list: Vec<CallId> = self.floor.callbacks.iter().map(|c| c.call).collect();
                let i = step(self.callbacks_sel.index, list.len());
                self.callbacks_sel.set(i, &list);
            }
            View::Audit => {
                let list: Vec<usize> = (0..self.floor.audit.len()).collect();
                let i = step(self.audit_sel.index, list.len());
                self.audit_sel.set(i, &list);
            }
            View::Call => {
                // Down moves towards the newest line.
                let len =
                    self.open_call.and_then(|c| self.floor.calls.get(&c)).map(|c| c.transcript.len()).unwrap_or(0);
                // At most up to the first line: scrolling never leaves the pane empty.
                let top = len.saturating_sub(1) as i64;
                let s = (self.transcript_scroll as i64).saturating_sub(by).clamp(0, top);
                self.transcript_scroll = s as usize;
            }
            View::Floor => {}
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Targets: what the selected row is about.

    /// The call the current view points at: the selected call, the open call, an agent's call, an alert's or
    /// ticket's call; on the Floor view, the call of the newest unacknowledged alert about a live call.
    pub fn target_call(&self) -> Option<CallId> {
        match self.view {
            View::Calls => self.calls_sel.id.filter(|_| !self.calls.is_empty()),
            View::Call => self.open_call,
            View::Agents => self.target_agent().and_then(|a| self.floor.agents.get(&a)).and_then(|a| a.call),
            View::Alerts => {
                self.target_alert().and_then(|a| self.floor.alerts.get(&a)).and_then(|a| a.subject.parse().ok())
            }
            View::Tickets => self.target_ticket().and_then(|t| self.floor.tickets.get(&t)).and_then(|t| t.call),
            View::Callbacks => None,
            View::Audit => None,
            View::Floor => self
                .floor
                .open_alerts()
                .filter_map(|a| a.subject.parse::<CallId>().ok())
                .find(|c| self.floor.calls.contains_key(c)),
        }
    }

    /// The agent the current view points at: the selected seat, or the agent of the targeted call.
    pub fn target_agent(&self) -> Option<AgentId> {
        match self.view {
            View::Agents => self.agents_sel.id.filter(|_| !self.agents.is_empty()),
            View::Call | View::Calls => self.target_call().and_then(|c| self.floor.calls.get(&c)).and_then(|c| c.agent),
            _ => None,
        }
    }

    /// The selected alert on the Alerts view.
    pub fn target_alert(&self) -> Option<AlertId> {
        (self.view == View::Alerts).then_some(self.alerts_sel.id).flatten().filter(|_| !self.alerts.is_empty())
    }

    /// The selected ticket on the Tickets view.
    pub fn target_ticket(&self) -> Option<TicketId> {
        (self.view == View::Tickets).then_some(self.tickets_sel.id).flatten().filter(|_| !self.tickets.is_empty())
    }

    /// Our mode on a call, if we are on it.
    pub fn my_mode(&self, call: CallId) -> Option<SupervisorMode> {
        self.floor
            .calls
            .get(&call)
            .and_then(|c| c.supervisors.iter().find(|p| p.supervisor == self.user))
            .map(|p| p.mode)
    }

    /// Calls we are on, in any mode.
    pub fn my_calls(&self) -> impl Iterator<Item = CallId> + '_ {
        self.floor.calls.values().filter(|c| c.supervisors.iter().any(|p| p.supervisor == self.user)).map(|c| c.id)
    }

    /// A call we are barged into, if any.
    pub fn barged_call(&self) -> Option<CallId> {
        self.my_calls().find(|c| self.my_mode(*c) == Some(SupervisorMode::Barge))
    }

    /// Unacknowledged critical alerts, newest first: the banner on every view.
    pub fn urgent_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.floor.open_alerts().filter(|a| a.severity == Severity::Critical)
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sending.

    fn send(&mut self, command: Command) -> Outgoing {
        self.next_id += 1;
        let id = format!("c{}", self.next_id);
        self.pending.insert(id.clone(), describe(&command));
        Outgoing { id, command }
    }

    fn ack_all(&mut self) -> Vec<Outgoing> {
        let open: Vec<AlertId> = self
            .alerts
            .iter()
            .filter(|id| self.floor.alerts.get(id).is_some_and(|a| a.acked.is_none()))
            .copied()
            .collect();
        if open.is_empty() {
            self.notice("no unacknowledged alerts");
            return Vec::new();
        }
        open.into_iter().map(|alert| self.send(Command::AckAlert { alert })).collect()
    }

    /// A local notice (no command was sent).
    pub fn notice(&mut self, text: &str) {
        self.toast(text.to_string(), true);
    }

    /// A local error notice (no command was sent).
    pub fn notice_error(&mut self, text: &str) {
        self.toast(format!("✗ {text}"), false);
    }

    fn toast(&mut self, text: String, ok: bool) {
        self.toasts.push_back(Toast { text, ok, ttl: TOAST_SECS });
        while self.toasts.len() > TOASTS_MAX {
            self.toasts.pop_front();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Text entry and dialogs.

    fn input_key(&mut self, key: Key, ev: KeyEvent) -> Vec<Outgoing> {
        let plain = !key.ctrl && !key.alt;
        match key.name {
            KeyName::Esc if plain => {
                if let Some(Input::Filter(view, _)) = self.input.take() {
                    // Esc drops the filter typed so far.
                    if view == View::Agents {
                        self.agents_filter.clear();
                    } else {
                        self.calls_filter.clear();
                    }
                    self.refresh();
                }
                self.completions.clear();
                return Vec::new();
            }
            KeyName::Enter if plain => {
                let Some(input) = self.input.take() else { return Vec::new() };
                self.completions.clear();
                return self.submit(input);
            }
            KeyName::Tab if plain => {
                if let Some(Input::Command(area)) = &mut self.input {
                    let text = area.lines().join(" ");
                    let (completed, options) = command_line::complete(&text, &self.floor);
                    if completed != text {
                        let mut fresh = new_area();
                        fresh.insert_str(&completed);
                        *area = fresh;
                    }
                    self.completions = options;
                }
                return Vec::new();
            }
            _ => {}
        }
        if let Some(input) = &mut self.input {
            input.area_mut().input(ev);
        }
        if let Some(Input::Filter(view, area)) = &self.input {
            let text = area.lines().join(" ");
            if *view == View::Agents {
                self.agents_filter = text;
            } else {
                self.calls_filter = text;
            }
            self.refresh();
        }
        Vec::new()
    }

    fn submit(&mut self, input: Input) -> Vec<Outgoing> {
        match input {
            Input::Command(area) => {
                let text = area.lines().join(" ");
                self.run_command_line(&text)
            }
            Input::Filter(..) => Vec::new(),
            Input::Say(call, area) => {
                let text = area.lines().join(" ");
                if text.trim().is_empty() {
                    return Vec::new();
                }
                vec![self.send(Command::Say { call, text: text.trim().to_string() })]
            }
            Input::Ticket(ticket, op, area) => {
                let note = area.lines().join(" ").trim().to_string();
                let cmd = match op {
                    TicketOp::Escalate => Command::Escalate { ticket, note },
                    TicketOp::Resolve => Command::Resolve { ticket, note },
                    TicketOp::Note if note.is_empty() => {
                        self.notice("the note is empty: nothing sent");
                        return Vec::new();
                    }
                    TicketOp::Note => Command::Note { ticket, text: note },
                };
                vec![self.send(cmd)]
            }
        }
    }

    /// Runs one command line (without the leading `:`); returns the commands to send.
    pub fn run_command_line(&mut self, text: &str) -> Vec<Outgoing> {
        match command_line::parse(text, self) {
            Ok(Parsed::Send(cmds)) => {
                // Joining a live call from the command line opens it, as the keys do (a mistyped id stays put
                // and the engine's refusal says why).
                if let [Command::Monitor { call } | Command::Whisper { call } | Command::Barge { call }] =
                    cmds.as_slice()
                    && self.open_call != Some(*call)
                    && self.floor.calls.contains_key(call)
                {
                    self.open(*call);
                }
                cmds.into_iter().map(|c| self.send(c)).collect()
            }
            Ok(Parsed::Act(action)) => self.update(action),
            Ok(Parsed::AckAll) => self.ack_all(),
            Ok(Parsed::Theme(name)) => {
                match Theme::load(&name) {
                    Ok(t) => {
                        self.theme = t;
                        self.notice(&format!("theme {name}"));
                    }
                    Err(e) => self.toast(format!("✗ {e}"), false),
                }
                Vec::new()
            }
            Ok(Parsed::Keymap(name)) => {
                match Keymap::load(&name) {
                    Ok(k) => {
                        self.keymap = k;
                        self.notice(&format!("keymap {name}"));
                    }
                    Err(e) => self.toast(format!("✗ {e}"), false),
                }
                Vec::new()
            }
            Ok(Parsed::Bell(on)) => {
                self.bell_enabled = on;
                self.notice(if on { "bell on" } else { "bell off" });
                Vec::new()
            }
            Ok(Parsed::Sort(k)) => {
                self.set_sort(k);
                self.switch(View::Calls);
                Vec::new()
            }
            Ok(Parsed::Filter(f)) => {
                self.calls_filter = f;
                self.refresh();
                self.switch(View::Calls);
                Vec::new()
            }
            Ok(Parsed::Open(call)) => {
                self.open(call);
                Vec::new()
            }
            Ok(Parsed::Nothing) => Vec::new(),
            Err(msg) => {
                self.toast(format!("✗ {msg}"), false);
                Vec::new()
            }
        }
    }

    fn dialog_key(&mut self, key: Key) -> Vec<Outgoing> {
        let Some(mut dialog) = self.dialog.take() else { return Vec::new() };
        let down = matches!(key.name, KeyName::Down | KeyName::Char('j') | KeyName::Tab);
        let up = matches!(key.name, KeyName::Up | KeyName::Char('k') | KeyName::BackTab);
        let confirm = key.name == KeyName::Enter;
        if key.name == KeyName::Esc || (key.ctrl && key.name == KeyName::Char('c')) {
            return Vec::new();
        }
        let bump = |cursor: &mut usize, len: usize| {
            if down && len > 0 {
                *cursor = (*cursor + 1) % len;
            } else if up && len > 0 {
                *cursor = (*cursor + len - 1) % len;
            }
        };
        let mut out = Vec::new();
        let mut keep = true;
        match &mut dialog {
            Dialog::Reassign { agent, choices, cursor } => {
                bump(cursor, choices.len());
                if key.name == KeyName::Char(' ')
                    && let Some(c) = choices.get_mut(*cursor)
                {
                    c.1 = !c.1;
                }
                if confirm {
                    let queues: Vec<QueueId> = choices.iter().filter(|c| c.1).map(|c| c.0.clone()).collect();
                    if queues.is_empty() {
                        self.notice("choose at least one queue (space toggles)");
                    } else {
                        out.push(self.send(Command::Reassign { agent: *agent, queues }));
                        keep = false;
                    }
                }
            }
            Dialog::AgentState { agent, cursor } => {
                bump(cursor, SETTABLE_STATES.len());
                if confirm {
                    let state = SETTABLE_STATES[(*cursor).min(SETTABLE_STATES.len() - 1)];
                    out.push(self.send(Command::SetAgentState { agent: *agent, state }));
                    keep = false;
                }
            }
            Dialog::Transfer { call, targets, cursor } => {
                bump(cursor, targets.len());
                if confirm && let Some(t) = targets.get(*cursor) {
                    let cmd = match t {
                        TransferTarget::Queue(q) => {
                            Command::Transfer { call: *call, to_agent: None, to_queue: Some(q.clone()) }
                        }
                        TransferTarget::Agent(a) => {
                            Command::Transfer { call: *call, to_agent: Some(*a), to_queue: None }
                        }
                    };
                    out.push(self.send(cmd));
                    keep = false;
                }
            }
            Dialog::ConfirmQuit { .. } => match key.name {
                KeyName::Char('y') | KeyName::Char('Y') | KeyName::Enter => {
                    self.quit = true;
                    keep = false;
                }
                KeyName::Char('n') | KeyName::Char('N') | KeyName::Char('q') => keep = false,
                _ => {}
            },
        }
        if keep {
            self.dialog = Some(dialog);
        }
        out
    }

    /// Takes one mouse event (click a tab, click a row, wheel); returns the commands to send.
    pub fn on_mouse(&mut self, _ev: ratatui::crossterm::event::MouseEvent) -> Vec<Outgoing> {
        Vec::new()
    }
}

fn new_area() -> TextArea<'static> {
    let mut a = TextArea::default();
    a.set_cursor_line_style(ratatui::style::Style::default());
    a
}

fn call_matches(c: &Call, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let hay = |s: &str| s.to_lowercase().contains(filter);
    hay(&c.id.to_string())
        || c.queue.as_ref().is_some_and(|q| hay(q.as_str()))
        || hay(c.state.as_str())
        || c.agent.is_some_and(|a| hay(&a.to_string()))
        || hay(&c.intent)
        || hay(c.lang.as_str())
        || (filter == "urgent" && c.flags.urgent)
        || (filter == "risk" && c.flags.risk)
}

fn agent_matches(a: &Agent, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let hay = |s: &str| s.to_lowercase().contains(filter);
    hay(&a.id.to_string())
        || hay(&a.name)
        || hay(a.state.as_str())
        || a.queues.iter().any(|q| hay(q.as_str()))
        || a.call.is_some_and(|c| hay(&c.to_string()))
}

/// A command in words, for toasts: `barge C-1042`, `reassign A-07 to billing, vip`.
pub fn describe(c: &Command) -> String {
    match c {
        Command::Monitor { call } => format!("monitor {call}"),
        Command::Whisper { call } => format!("whisper {call}"),
        Command::Barge { call } => format!("barge {call}"),
        Command::Leave { call } => format!("leave {call}"),
        Command::Say { call, text } => {
            let short: String = text.chars().take(24).collect();
            let more = if text.chars().count() > 24 { "…" } else { "" };
            format!("say to {call} \"{short}{more}\"")
        }
        Command::Reassign { agent, queues } => {
            let qs: Vec<&str> = queues.iter().map(QueueId::as_str).collect();
            format!("reassign {agent} to {}", qs.join(", "))
        }
        Command::SetAgentState { agent, state } => format!("set {agent} {}", state.as_str()),
        Command::Transfer { call, to_agent, to_queue } => match (to_agent, to_queue) {
            (Some(a), _) => format!("transfer {call} to {a}"),
            (_, Some(q)) => format!("transfer {call} to {q}"),
            _ => format!("transfer {call}"),
        },
        Command::AckAlert { alert } => format!("ack {alert}"),
        Command::Escalate { ticket, .. } => format!("escalate {ticket}"),
        Command::Note { ticket, .. } => format!("note on {ticket}"),
        Command::Resolve { ticket, .. } => format!("resolve {ticket}"),
    }
}
