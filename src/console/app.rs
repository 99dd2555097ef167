//! The console's state and its one mutator: [`App::apply`] takes what the client (or the event loop) reports,
//! [`App::on_key`], [`App::on_mouse`] and [`App::update`] take what the user asks for and return the commands to
//! send. Rendering only reads an `App`.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use tui_textarea::TextArea;

use super::action::Action;
use super::command_line::{self, CompleteCtx, Completion, History, ParseCtx, Parsed};
use super::keymap::{Context, Key, KeyName, Keymap};
use super::lists::{self, ListKind, Lists, RowId};
use super::theme::{self, Theme};
use super::views;
use crate::client::{ConnState, Mirror, Outgoing, Update};
use crate::model::*;

/// The views, in tab order; the Call and Ticket views open from a list and are not tabs of their own.
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
    Ticket,
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
            View::Ticket => "Ticket",
        }
    }

    /// The keymap section that applies in this view.
    pub fn context(self) -> Context {
        match self {
            View::Floor => Context::Floor,
            View::Calls => Context::Calls,
            View::Agents => Context::Agents,
            View::Alerts => Context::Alerts,
            View::Tickets | View::Ticket => Context::Tickets,
            View::Callbacks => Context::Callbacks,
            View::Audit => Context::Audit,
            View::Call => Context::Call,
        }
    }

    /// The list this view shows, if it is a list view.
    pub fn list(self) -> Option<ListKind> {
        match self {
            View::Calls => Some(ListKind::Calls),
            View::Agents => Some(ListKind::Agents),
            View::Alerts => Some(ListKind::Alerts),
            View::Tickets => Some(ListKind::Tickets),
            View::Callbacks => Some(ListKind::Callbacks),
            View::Audit => Some(ListKind::Audit),
            View::Floor | View::Call | View::Ticket => None,
        }
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
    /// A filter for a list, applied as you type.
    Filter(ListKind, TextArea<'static>),
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

/// A caller's earlier contact the console can open.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Earlier {
    Ticket(TicketId),
    Call(CallId),
}

impl std::fmt::Display for Earlier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Earlier::Ticket(t) => t.fmt(f),
            Earlier::Call(c) => c.fmt(f),
        }
    }
}

/// What a confirmed [`Dialog::Confirm`] does.
#[derive(Clone, PartialEq, Debug)]
pub enum Then {
    Quit,
    /// Open the call in the Call view and send the command.
    OpenAndSend(CallId, Command),
    Send(Command),
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
    /// Are you sure? `lines` say what will happen.
    Confirm { title: String, lines: Vec<String>, then: Then },
}

pub use super::command_line::SETTABLE_STATES;

/// One message: an ack, a refusal, a local notice. Shown in the message line, kept in the history (`:messages`).
#[derive(Clone, PartialEq, Debug)]
pub struct Message {
    pub text: String,
    pub ok: bool,
    /// Floor time when it came (None before any floor).
    pub at: Option<Time>,
}

/// Seconds the newest message stays in the message line.
const MESSAGE_SECS: u8 = 8;
/// Messages kept for `:messages`.
const MESSAGES_MAX: usize = 200;
/// Minutes of arrivals the console counts itself when the engine sends no per-minute figures.
const ARRIVAL_MINUTES: usize = 60;
/// The bell rings at most once in this many seconds.
pub const BELL_INTERVAL_SECS: u64 = 30;
/// Alerts one `A` acknowledges at most (the engine takes up to 5,000 in one request).
const ACK_BATCH_MAX: usize = 5000;

/// Settings an App starts with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    /// Ring the bell on new critical alerts.
    pub bell: bool,
    /// Mouse capture (click a tab or a row, wheel to scroll).
    pub mouse: bool,
    /// Ask before barging from a list and before taking the last seat off a queue.
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

/// What reaches the App from outside the keyboard: the client's updates, and the event loop's own news.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Client(Update),
    /// A command could not be handed to the connection (busy or closed).
    NotSent {
        id: String,
        reason: String,
    },
    /// The client task ended (its reason, if it gave one, came before as a `Failed` connection state).
    ClientGone,
}

/// The console: the one mirror of the floor plus everything the UI shows about it.
pub struct App {
    /// The floor, its metrics, the connection and who we are: changed only by [`App::apply`].
    pub mirror: Mirror,
    /// Wall time now, set by the event loop before it hands the App news or draws (the App never reads a clock).
    pub now: Instant,
    /// Wall time since the last floor data, set by the event loop before each draw (render never reads a clock).
    pub data_age: Duration,
    /// The terminal's size, set by the event loop: paging and mouse hits use it.
    pub size: (u16, u16),

    pub view: View,
    /// The view to return to when the Call or Ticket view closes.
    pub back: View,
    /// The call shown in the Call view.
    pub open_call: Option<CallId>,
    /// The ticket shown in the Ticket view.
    pub open_ticket: Option<TicketId>,
    /// Transcript lines scrolled up from the newest (Call view); history lines scrolled (Ticket view).
    pub transcript_scroll: usize,
    /// Every list's rows, selection, filter, sort and pause.
    pub lists: Lists,
    /// Floor time the calls list was last settled at: its wait and talk times are shown as of then, so they change
    /// once a second instead of with every event.
    pub list_now: Time,

    pub input: Option<Input>,
    /// Completions offered for the command line (shown above it).
    pub completions: Vec<String>,
    /// Tab cycling on the command line.
    pub completion: Completion,
    /// Command lines run so far; Up and Down recall them.
    pub history: History,
    pub dialog: Option<Dialog>,
    pub help: bool,
    pub help_scroll: usize,
    /// The message history overlay (`:messages`).
    pub show_messages: bool,
    /// Messages, oldest first.
    pub messages: VecDeque<Message>,
    /// Seconds the newest message has left in the message line.
    pub message_ttl: u8,
    /// Commands sent and not yet answered: id → what the user asked for, in words.
    pub pending: BTreeMap<String, String>,
    /// Queries sent to the engine's store and not answered yet, by id.
    pub queries: BTreeMap<String, Query>,
    /// Everything asked once (a record is asked for once per console).
    asked: std::collections::HashSet<Query>,
    /// Why a record could not be had (not in the engine's records, no database), by query.
    pub unavailable: std::collections::HashMap<Query, String>,
    next_id: u64,

    pub theme: Theme,
    pub keymap: Keymap,
    pub bell_enabled: bool,
    bell_pending: bool,
    /// Newest alert id already considered for the bell.
    bell_seen: Option<AlertId>,
    /// Seconds since the App started (counted by ticks), and when the bell may ring next.
    seconds: u64,
    bell_next: u64,
    /// Show the newcomer's hint until the first key.
    pub show_hint: bool,
    /// "The engine restarted: a new floor": a banner on every view until the next key, so it cannot be missed.
    pub new_floor: Option<String>,
    pub quit: bool,
    /// Mouse capture wanted (the event loop turns it on or off to match).
    pub mouse: bool,
    /// Ask before barging from a list and before taking the last seat off a queue.
    pub confirm: bool,
    /// Set by the suspend action; the event loop suspends and clears it.
    pub suspend: bool,
    /// Calls that arrived per floor-minute, counted from events: (minute since the epoch, count), oldest first.
    arrivals: VecDeque<(i64, u32)>,
    /// The `:kb` overlay, while it is open.
    pub kb: Option<super::kb::KbOverlay>,
    /// The knowledge base of the floor's scenario, indexed on the first `:kb`.
    kb_cache: Option<super::kb::KbCache>,
    /// The `:kb` search asked of the engine and not answered yet: (query id, words).
    kb_asked: Option<(String, String)>,
}

impl App {
    /// An App with no floor yet (it shows "waiting for the engine" until the first snapshot).
    pub fn new(opts: AppOptions) -> App {
        App {
            mirror: Mirror::default(),
            now: Instant::now(),
            data_age: Duration::ZERO,
            size: (80, 24),
            view: View::Floor,
            back: View::Calls,
            open_call: None,
            open_ticket: None,
            transcript_scroll: 0,
            lists: Lists::default(),
            list_now: Time::default(),
            input: None,
            completions: Vec::new(),
            completion: Completion::default(),
            history: History::default(),
            dialog: None,
            help: false,
            help_scroll: 0,
            show_messages: false,
            messages: VecDeque::new(),
            message_ttl: 0,
            pending: BTreeMap::new(),
            queries: BTreeMap::new(),
            asked: Default::default(),
            unavailable: Default::default(),
            next_id: 0,
            theme: opts.theme,
            keymap: opts.keymap,
            bell_enabled: opts.bell,
            bell_pending: false,
            bell_seen: None,
            seconds: 0,
            bell_next: 0,
            show_hint: true,
            new_floor: None,
            quit: false,
            mouse: opts.mouse,
            confirm: opts.confirm,
            kb: None,
            kb_cache: None,
            kb_asked: None,
            suspend: false,
            arrivals: VecDeque::new(),
        }
    }

    /// Opens the command line with `prefill` typed in (the cursor after it), completion and history reset.
    fn open_command_line(&mut self, prefill: &str) {
        let mut area = new_area();
        area.insert_str(prefill);
        self.input = Some(Input::Command(area));
        self.completions.clear();
        self.history.reset();
        self.completion.reset();
    }

    /// The floor as the mirror holds it.
    pub fn floor(&self) -> &Floor {
        &self.mirror.floor
    }

    /// Our supervisor name on the floor, from the welcome ("" before it).
    pub fn user(&self) -> &str {
        self.mirror.user.as_deref().unwrap_or("")
    }

    /// Whether any floor has arrived.
    pub fn has_data(&self) -> bool {
        self.mirror.snapshots > 0
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the client and the event loop report.

    /// Takes one client update (shorthand for [`App::apply`] with [`Incoming::Client`]).
    pub fn apply_update(&mut self, update: Update) {
        self.apply(Incoming::Client(update));
    }

    /// Takes one piece of news from outside the keyboard. The only door for connection and floor changes.
    pub fn apply(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Client(update) => self.client(update),
            Incoming::NotSent { id, reason } if self.kb_asked.as_ref().is_some_and(|(k, _)| *k == id) => {
                self.kb_asked = None;
                self.notice_error(&format!("kb: not asked: {reason}"));
            }
            Incoming::NotSent { id, reason } if self.queries.contains_key(&id) => {
                // Asked again the next time the page is opened.
                if let Some(q) = self.queries.remove(&id) {
                    self.asked.remove(&q);
                    self.unavailable.insert(q, format!("not asked: {reason}"));
                }
            }
            Incoming::NotSent { id, reason } => {
                let what = self.pending.remove(&id).unwrap_or_else(|| format!("command {id}"));
                self.message(format!("✗ {what} not sent: {reason}"), false);
            }
            Incoming::ClientGone => {
                // Keep the client's own reason (e.g. a refused token) when it gave one.
                if !matches!(self.mirror.conn, ConnState::Failed { .. }) {
                    let gone = Update::Connection(ConnState::Failed { reason: "the connection task ended".into() });
                    self.mirror.apply(&gone, self.now);
                }
            }
        }
    }

    fn client(&mut self, update: Update) {
        if let Some((asked, words)) = self.kb_asked.clone() {
            match &update {
                Update::Record { id, record: Record::Kb(answer) } if *id == asked => {
                    self.kb_asked = None;
                    let overlay = super::kb::KbOverlay::from_answer(&words, answer);
                    self.show_kb(overlay);
                    return;
                }
                Update::Error { id: Some(id), message, .. } if *id == asked => {
                    self.kb_asked = None;
                    // An engine from before knowledge queries does not know the query: search the bundled base.
                    if message.contains("unknown variant `kb`") {
                        self.search_bundled_kb(&words);
                    } else {
                        self.notice_error(&format!("kb: {message}"));
                    }
                    return;
                }
                _ => {}
            }
        }
        match &update {
            Update::Record { id, .. } => {
                self.queries.remove(id);
            }
            Update::Error { id: Some(id), message, .. } if self.queries.contains_key(id) => {
                if let Some(q) = self.queries.remove(id) {
                    self.unavailable.insert(q, message.clone());
                }
                return;
            }
            Update::Ack { id } => {
                let what = self.pending.remove(id).unwrap_or_else(|| format!("command {id}"));
                self.message(format!("✓ {what}"), true);
                return;
            }
            Update::Error { id, code, message } => {
                let what = id.as_ref().and_then(|id| self.pending.remove(id));
                let text = match what {
                    Some(w) => format!("✗ {w} refused ({}): {message}", code.as_str()),
                    None => format!("✗ {}: {message}", code.as_str()),
                };
                self.message(text, false);
                return;
            }
            Update::Events { events, .. } => {
                for ev in events {
                    if matches!(ev.kind, EventKind::CallArrived { .. }) {
                        self.count_arrival(ev.at);
                    }
                }
            }
            _ => {}
        }
        let first = !self.has_data();
        let before = self.mirror.identity.clone();
        self.mirror.apply(&update, self.now);
        if let (Some(old), Some(new)) = (&before, &self.mirror.identity)
            && old.id != new.id
        {
            self.new_floor(old.clone());
        }
        match update {
            Update::Snapshot { .. } => {
                if first {
                    // What is already on the floor is not news: the bell is for alerts raised from now on.
                    self.bell_seen = self.floor().alerts.keys().next_back().copied();
                }
                self.mirror.conn = ConnState::Connected;
                self.refresh_all();
                self.check_bell();
            }
            Update::Events { .. } => {
                // The calls list settles once a second (at the tick): rows that jump under the cursor many times a
                // second cannot be read or selected, and every jump redraws the table. Until then a call that
                // ended keeps its row, whole and muted, marked with how it ended.
                // Only the list on screen follows the events; another list catches up when it is shown.
                if let Some(kind) = self.view.list().filter(|k| *k != ListKind::Calls) {
                    self.relist(kind);
                }
                self.check_bell();
            }
            _ => {}
        }
    }

    /// The engine we reconnected to runs another floor (it restarted): say so once, and close what belonged to
    /// the old floor (its calls and tickets are not this floor's, even where their ids are the same).
    fn new_floor(&mut self, old: FloorIdentity) {
        let started = self.mirror.identity.as_ref().map(|i| i.started.format("%Y-%m-%d %H:%M:%S UTC").to_string());
        let closed = match self.view {
            View::Call => self.open_call.map(|c| format!("; the page of the old floor's {c} was closed")),
            View::Ticket => self.open_ticket.map(|t| format!("; the page of the old floor's {t} was closed")),
            _ => None,
        };
        if matches!(self.view, View::Call | View::Ticket) {
            self.view = if matches!(self.back, View::Call | View::Ticket) { View::Floor } else { self.back };
        }
        self.open_call = None;
        self.open_ticket = None;
        self.dialog = None;
        self.transcript_scroll = 0;
        self.lists = Lists::default();
        self.bell_seen = None;
        self.arrivals.clear();
        let text = format!(
            "the engine restarted: this is a new floor (started {}), not floor {}{}",
            started.unwrap_or_else(|| "just now".into()),
            old.id,
            closed.unwrap_or_default()
        );
        self.notice_error(&text);
        self.new_floor = Some(text);
    }

    /// Called once a second by the event loop: the message line ages and the calls list settles.
    pub fn tick(&mut self) {
        self.seconds += 1;
        self.message_ttl = self.message_ttl.saturating_sub(1);
        self.relist(ListKind::Calls);
    }

    /// Whether the bell should ring now (once for new critical alerts, at most once per
    /// [`BELL_INTERVAL_SECS`]); clears the request.
    pub fn take_bell(&mut self) -> bool {
        if !self.bell_pending || self.seconds < self.bell_next {
            return false;
        }
        self.bell_pending = false;
        if self.bell_enabled {
            self.bell_next = self.seconds + BELL_INTERVAL_SECS;
            true
        } else {
            false
        }
    }

    fn check_bell(&mut self) {
        let floor = &self.mirror.floor;
        let newest = floor.alerts.keys().next_back().copied();
        let fresh = floor
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
        match &self.mirror.metrics {
            Some(m) if !m.arrivals_per_min.is_empty() => m.arrivals_per_min.iter().map(|&n| n as u64).collect(),
            _ => self.arrivals.iter().map(|(_, n)| *n as u64).collect(),
        }
    }

    /// Rows a list view shows at the current terminal size.
    pub fn page(&self) -> usize {
        views::list_rows(self).max(1)
    }

    /// Recomputes a list from the floor (unless it is paused), keeping the selection and the view still.
    pub fn relist(&mut self, kind: ListKind) {
        if kind == ListKind::Calls {
            self.list_now = self.mirror.floor.time();
        }
        let page = self.page();
        let l = &self.lists[kind];
        if l.paused {
            return;
        }
        let rows = lists::rows(kind, &self.mirror.floor, self.list_now, &l.filter, l.sort);
        self.lists[kind].relist(rows, page);
    }

    /// Recomputes every list (after a snapshot, a filter or a sort changed).
    pub fn refresh_all(&mut self) {
        for kind in ListKind::ALL {
            self.relist(kind);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the user asks for.

    /// Takes one key press; returns the commands to send.
    pub fn on_key(&mut self, ev: KeyEvent) -> Vec<Outgoing> {
        let mut out = self.on_key_now(ev);
        out.extend(self.fetch_records());
        out
    }

    fn on_key_now(&mut self, ev: KeyEvent) -> Vec<Outgoing> {
        let Some(key) = Key::from_event(&ev) else { return Vec::new() };
        self.show_hint = false;
        self.new_floor = None;
        if self.input.is_some() {
            return self.input_key(key, ev);
        }
        if self.dialog.is_some() {
            return match self.keymap.lookup(Context::Dialog, key) {
                Some(action) => self.dialog_action(action),
                None => Vec::new(),
            };
        }
        let ctx =
            if self.help || self.show_messages || self.kb.is_some() { Context::Global } else { self.view.context() };
        match self.keymap.lookup(ctx, key) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    /// Takes one mouse event (click a tab, click a row, wheel); returns the commands to send.
    pub fn on_mouse(&mut self, ev: MouseEvent) -> Vec<Outgoing> {
        let mut out = self.on_mouse_now(ev);
        out.extend(self.fetch_records());
        out
    }

    fn on_mouse_now(&mut self, ev: MouseEvent) -> Vec<Outgoing> {
        if !self.mouse || self.input.is_some() || self.dialog.is_some() {
            return Vec::new();
        }
        let wheel: i64 = match ev.kind {
            MouseEventKind::ScrollDown => 3,
            MouseEventKind::ScrollUp => -3,
            MouseEventKind::Down(MouseButton::Left) => 0,
            _ => return Vec::new(),
        };
        if self.help || self.show_messages {
            if wheel > 0 {
                self.help_scroll += wheel as usize;
            } else {
                self.help_scroll = self.help_scroll.saturating_sub(wheel.unsigned_abs() as usize);
            }
            return Vec::new();
        }
        self.show_hint = false;
        if wheel != 0 {
            self.move_sel(wheel);
            return Vec::new();
        }
        match views::hit(self, ev.column, ev.row) {
            Some(views::Hit::Tab(view)) => self.switch(view),
            Some(views::Hit::Row(kind, index)) => {
                let page = self.page();
                let l = &mut self.lists[kind];
                if let Some(row) = l.rows.get(index).copied() {
                    if l.sel == Some(row) {
                        // A second click on the selected row opens it, as Enter does.
                        return self.update(Action::OpenCall);
                    }
                    l.select(row, page);
                }
            }
            None => {}
        }
        Vec::new()
    }

    /// Carries out one action; returns the commands to send.
    pub fn update(&mut self, action: Action) -> Vec<Outgoing> {
        let mut out = self.update_now(action);
        out.extend(self.fetch_records());
        out
    }

    fn update_now(&mut self, action: Action) -> Vec<Outgoing> {
        if self.kb.is_some() {
            return self.kb_action(action);
        }
        if self.help || self.show_messages {
            match action {
                Action::ToggleHelp | Action::Close | Action::ShowMessages => {
                    self.help = false;
                    self.show_messages = false;
                    return Vec::new();
                }
                Action::SelectNext => self.help_scroll += 1,
                Action::SelectPrev => self.help_scroll = self.help_scroll.saturating_sub(1),
                Action::PageDown => self.help_scroll += 10,
                Action::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                Action::SelectFirst => self.help_scroll = 0,
                // The overlay clamps it to its last page.
                Action::SelectLast => self.help_scroll = usize::MAX / 2,
                _ => {
                    self.help = false;
                    self.show_messages = false;
                    return self.update(action);
                }
            }
            return Vec::new();
        }
        if let Some(role) = action.required_role()
            && self.mirror.role.is_none_or(|r| !r.covers(role))
        {
            let who = self.mirror.role.map(|r| format!("the {r} role")).unwrap_or_else(|| "not signed in: you".into());
            self.notice_error(&format!(
                "{who} cannot {}: ask for {} {role} token",
                action.describe().split(" (").next().unwrap_or("do that"),
                role.article()
            ));
            return Vec::new();
        }
        match action {
            Action::Quit => {
                if let Some(call) = self.barged_call() {
                    self.dialog = Some(Dialog::Confirm {
                        title: "Quit?".into(),
                        lines: vec![
                            format!("You are barged into {call}."),
                            "Quit anyway? The engine keeps you on the call until you leave.".into(),
                        ],
                        then: Then::Quit,
                    });
                } else {
                    self.quit = true;
                }
            }
            Action::ForceQuit => self.quit = true,
            Action::ToggleHelp => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::ShowMessages => {
                self.show_messages = true;
                self.help_scroll = 0;
            }
            Action::Suspend => self.suspend = true,
            Action::OpenCommandLine => {
                self.open_command_line("");
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
                let cur = if matches!(self.view, View::Call | View::Ticket) { self.back } else { self.view };
                let i = View::TABS.iter().position(|v| *v == cur).unwrap_or(0);
                let n = View::TABS.len();
                let j = if action == Action::NextView { (i + 1) % n } else { (i + n - 1) % n };
                self.switch(View::TABS[j]);
            }
            Action::SelectNext => self.move_sel(1),
            Action::SelectPrev => self.move_sel(-1),
            Action::PageDown => self.move_sel(self.page() as i64),
            Action::PageUp => self.move_sel(-(self.page() as i64)),
            Action::SelectFirst => self.move_sel(i64::MIN / 2),
            Action::SelectLast => self.move_sel(i64::MAX / 2),
            Action::OpenCall => self.open_selected(),
            Action::Filter => {
                let kind = self.view.list().unwrap_or(ListKind::Calls);
                if self.view.list().is_none() {
                    self.switch(View::Calls);
                }
                let mut area = new_area();
                area.insert_str(&self.lists[kind].filter);
                self.input = Some(Input::Filter(kind, area));
            }
            Action::SortNext | Action::SortReverse => {
                let Some(kind) = self.view.list() else {
                    self.notice("sorting works on a list: 2 calls, 3 agents, 4 alerts …");
                    return Vec::new();
                };
                // The columns of features this floor does not use are passed over.
                let cols: Vec<&'static lists::Column> =
                    kind.columns().iter().filter(|c| kind.applies(c.key, &self.mirror.floor)).collect();
                let sort = &mut self.lists[kind].sort;
                if action == Action::SortReverse {
                    sort.reverse = !sort.reverse;
                } else {
                    let i = cols.iter().position(|c| c.key == sort.column).map(|i| (i + 1) % cols.len()).unwrap_or(0);
                    *sort = lists::Sort { column: cols[i].key, reverse: false };
                }
                let label = sort.label(kind);
                self.relist(kind);
                self.notice(&format!("sorted by {label}"));
            }
            Action::SortByWait => self.sort_calls("wait"),
            Action::SortBySentiment => self.sort_calls("sentiment"),
            Action::SortByPriority => self.sort_calls("pri"),
            Action::TogglePause => self.toggle_pause(),
            Action::Monitor | Action::Whisper | Action::Barge => {
                let Some(call) = self.live_target(action) else { return Vec::new() };
                let cmd = match action {
                    Action::Monitor => Command::Monitor { call },
                    Action::Whisper => Command::Whisper { call },
                    _ => Command::Barge { call },
                };
                if action == Action::Barge && self.confirm && self.view != View::Call {
                    self.dialog = Some(Dialog::Confirm {
                        title: format!("Barge into {call}?"),
                        lines: vec![
                            format!("The caller and the agent of {call} will hear you."),
                            describe_call(self.floor(), call),
                        ],
                        then: Then::OpenAndSend(call, cmd),
                    });
                    return Vec::new();
                }
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
                let Some(call) = self.live_target(action) else { return Vec::new() };
                let cmd = match self.my_mode(call) {
                    None | Some(SupervisorMode::Barge) => Command::Monitor { call },
                    Some(SupervisorMode::Monitor) => Command::Whisper { call },
                    Some(SupervisorMode::Whisper) => Command::Barge { call },
                };
                return vec![self.send(cmd)];
            }
            Action::Say => {
                let Some(call) = self.live_target(action) else { return Vec::new() };
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
                let Some(call) = self.live_target(action) else { return Vec::new() };
                let floor = &self.mirror.floor;
                let lang = floor.calls.get(&call).map(|c| c.lang);
                let mut targets: Vec<TransferTarget> =
                    floor.queues.iter().map(|q| TransferTarget::Queue(q.id.clone())).collect();
                targets.extend(
                    floor
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
                let floor = &self.mirror.floor;
                let current = floor.agents.get(&agent).map(|a| a.queues.clone()).unwrap_or_default();
                let choices = floor.queues.iter().map(|q| (q.id.clone(), current.contains(&q.id))).collect();
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
                if let Some(ack) = self.floor().alerts.get(&alert).and_then(|a| a.acked.as_ref()) {
                    self.notice(&format!("{alert} was already acknowledged by {}", ack.by));
                    return Vec::new();
                }
                return vec![self.send(Command::AckAlerts { alerts: vec![alert] })];
            }
            Action::AckAllVisible => return self.ack_all(),
            Action::Escalate | Action::Resolve | Action::Note => {
                let Some(ticket) = self.target_ticket() else {
                    self.notice("select a ticket first (5: tickets)");
                    return Vec::new();
                };
                if self.floor().tickets.get(&ticket).is_some_and(|t| t.status == TicketStatus::Resolved) {
                    self.notice_error(&format!("{ticket} is resolved: nothing to {}", action.name()));
                    return Vec::new();
                }
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
            // Dialog keys with no dialog open do nothing.
            Action::Toggle | Action::Confirm => {}
            Action::AcceptConfirmation | Action::RefuseConfirmation => {
                let Some(call) = self.live_target(action) else { return Vec::new() };
                if self.pending_confirmation() != Some(call) {
                    self.notice(&format!("{call} is not waiting for a second confirmation"));
                    return Vec::new();
                }
                let accept = action == Action::AcceptConfirmation;
                let cmd = Command::Confirm { call, accept, note: None };
                if !accept && self.confirm {
                    self.dialog = Some(Dialog::Confirm {
                        title: format!("Refuse the second confirmation of {call}?"),
                        lines: vec![
                            "The caller's request is declined: the call stays flagged and cannot be transferred,"
                                .into(),
                            "and an urgent identity-review ticket is opened.".into(),
                            describe_call(self.floor(), call),
                        ],
                        then: Then::Send(cmd),
                    });
                    return Vec::new();
                }
                return vec![self.send(cmd)];
            }
            Action::OpenEarlier => match self.earlier_target() {
                Some(Earlier::Ticket(t)) => self.open_ticket_view(t),
                Some(Earlier::Call(c)) => self.open(c),
                None => self.notice("no earlier ticket or call of this caller is on the floor"),
            },
            Action::AddSeats => {
                // The command line, filled in for the queue at hand (the selected seat's first queue, else the
                // queue with the most callers waiting), two part-time seats for the next hour: edit and Enter.
                let floor = self.floor();
                let queue = self
                    .target_agent()
                    .and_then(|a| floor.agents.get(&a))
                    .and_then(|a| a.queues.first().cloned())
                    .or_else(|| floor.queues.iter().max_by_key(|q| q.waiting.len()).map(|q| q.id.clone()));
                let Some(queue) = queue else {
                    self.notice("this floor has no queues to add seats to");
                    return Vec::new();
                };
                let Some(now) = floor.now else {
                    self.notice("no floor yet: wait for the engine's snapshot");
                    return Vec::new();
                };
                // An hour on, but not past midnight (a time of day is read as today's).
                let later = now + chrono::Duration::hours(1);
                let until = if later.date_naive() == now.date_naive() {
                    later.format("%H:%M").to_string()
                } else {
                    "23:59".into()
                };
                self.open_command_line(&format!("seats add {queue} 2 until {until} part_time"));
            }
            Action::AssignCallback => {
                let call = if self.view == View::Callbacks { self.target_call() } else { None };
                let Some(call) = call else {
                    self.notice("select a callback first (6: callbacks)");
                    return Vec::new();
                };
                match self.floor().callbacks.iter().find(|c| c.call == call) {
                    Some(cb) if cb.status == CallbackStatus::Waiting => {
                        // The command line, filled in: Tab offers the queues and the seats at work.
                        self.open_command_line(&format!("callback {call} "));
                    }
                    Some(cb) => {
                        let who =
                            cb.assigned.as_ref().map(|a| format!(" (given to {})", a.target())).unwrap_or_default();
                        let status = cb.status.as_str().replace('_', " ");
                        self.notice(&format!("the callback of {call} is {status}{who}: nothing to assign"));
                    }
                    None => self.notice(&format!("{call} is not on the callback list")),
                }
            }
        }
        Vec::new()
    }

    fn sort_calls(&mut self, column: &'static str) {
        self.lists[ListKind::Calls].sort = lists::Sort { column, reverse: false };
        self.relist(ListKind::Calls);
        if self.view != View::Calls {
            self.switch(View::Calls);
        }
    }

    fn toggle_pause(&mut self) {
        let Some(kind) = self.view.list() else {
            self.notice("pausing works on a list: 2 calls, 3 agents, 4 alerts …");
            return;
        };
        let l = &mut self.lists[kind];
        l.paused = !l.paused;
        let paused = l.paused;
        if paused {
            self.notice(&format!("{} paused: rows hold still (press again to resume)", self.view.title()));
        } else {
            self.relist(kind);
            self.notice(&format!("{} resumed", self.view.title()));
        }
    }

    /// The call an action is for, if it is live; else says why not (locally) and gives None.
    fn live_target(&mut self, action: Action) -> Option<CallId> {
        let Some(call) = self.target_call() else {
            self.notice("select a call first (2: calls)");
            return None;
        };
        if !self.floor().calls.contains_key(&call) {
            self.notice_error(&format!("{call} has left the floor: nothing to {}", action.name().replace('_', " ")));
            return None;
        }
        Some(call)
    }

    fn open_selected(&mut self) {
        if self.view == View::Tickets
            && let Some(t) = self.target_ticket()
        {
            self.open_ticket_view(t);
            return;
        }
        if self.view == View::Ticket {
            match self.target_call() {
                Some(c) => self.open(c),
                None => self.notice("this ticket has no call"),
            }
            return;
        }
        match self.target_call() {
            Some(call) => self.open(call),
            None => self.notice("select a call first (2: calls)"),
        }
    }

    fn close(&mut self) {
        if self.dialog.take().is_some() {
            return;
        }
        if let Some(kind) = self.view.list()
            && !self.lists[kind].filter.is_empty()
        {
            self.lists[kind].filter.clear();
            self.relist(kind);
            return;
        }
        match self.view {
            View::Call if self.back == View::Ticket && self.open_ticket.is_some() => self.view = View::Ticket,
            View::Call | View::Ticket => self.view = self.back,
            _ => {}
        }
        self.completions.clear();
    }

    /// Whether Esc has something to close in the current view.
    pub fn can_close(&self) -> bool {
        self.dialog.is_some()
            || matches!(self.view, View::Call | View::Ticket)
            || self.view.list().is_some_and(|k| !self.lists[k].filter.is_empty())
    }

    fn switch(&mut self, view: View) {
        self.view = view;
        if let Some(kind) = view.list() {
            // A list off screen did not follow the events: catch up, keeping the selection in view.
            self.relist(kind);
            let page = self.page();
            self.lists[kind].reveal(page);
        }
    }

    /// Opens a call (live, or the record of a finished one) in the Call view.
    pub fn open(&mut self, call: CallId) {
        if !matches!(self.view, View::Call) {
            self.back = self.view;
        }
        self.view = View::Call;
        self.open_call = Some(call);
        self.transcript_scroll = 0;
    }

    /// Opens a ticket in the Ticket view.
    pub fn open_ticket_view(&mut self, ticket: TicketId) {
        if !matches!(self.view, View::Call | View::Ticket) {
            self.back = self.view;
        }
        self.view = View::Ticket;
        self.open_ticket = Some(ticket);
        self.transcript_scroll = 0;
    }

    fn move_sel(&mut self, by: i64) {
        if let Some(kind) = self.view.list() {
            let page = self.page();
            self.lists[kind].move_by(by, page);
            return;
        }
        match self.view {
            View::Call | View::Ticket => {
                // Down moves towards the newest line; up stops where the oldest line tops a full pane.
                let len = match self.view {
                    View::Call => self.open_call.and_then(|c| self.call_record(c)).map(|c| c.transcript.len()),
                    _ => self.open_ticket.and_then(|t| self.floor().tickets.get(&t)).map(ticket_history_len),
                }
                .unwrap_or(0);
                let top = len.saturating_sub(views::transcript_rows(self)) as i64;
                let s = (self.transcript_scroll as i64).saturating_sub(by).clamp(0, top.max(0));
                self.transcript_scroll = s as usize;
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Targets: what the screen points at.

    /// The critical alert the Floor view's banner shows: the newest unacknowledged one.
    pub fn banner_alert(&self) -> Option<&Alert> {
        self.urgent_alerts().next()
    }

    /// The call the current view points at: the selected call, the open call, a seat's call, an alert's or a
    /// ticket's call; on the Floor view, the call of the alert the banner shows. It may have left the floor.
    pub fn target_call(&self) -> Option<CallId> {
        let list = |k: ListKind| self.lists[k].selected();
        match self.view {
            View::Calls => list(ListKind::Calls).and_then(RowId::call),
            View::Call => self.open_call,
            View::Agents => self.target_agent().and_then(|a| self.floor().agents.get(&a)).and_then(|a| a.call),
            View::Alerts => {
                self.target_alert().and_then(|a| self.floor().alerts.get(&a)).and_then(|a| a.subject.parse().ok())
            }
            View::Tickets | View::Ticket => {
                self.target_ticket().and_then(|t| self.floor().tickets.get(&t)).and_then(|t| t.call)
            }
            View::Callbacks => list(ListKind::Callbacks).and_then(RowId::call),
            View::Audit => None,
            View::Floor => self.banner_alert().and_then(|a| a.subject.parse::<CallId>().ok()),
        }
    }

    /// The call the current view points at, when it waits for its second confirmation.
    pub fn pending_confirmation(&self) -> Option<CallId> {
        if !matches!(self.view, View::Calls | View::Call) {
            return None;
        }
        let call = self.target_call()?;
        self.floor().calls.get(&call).and_then(|c| c.confirmation.as_ref()).filter(|k| k.is_pending()).map(|_| call)
    }

    /// The caller's earlier contact `open_earlier` opens from the open ticket or call: the newest earlier ticket on
    /// the floor, else the newest earlier call the console still holds.
    pub fn earlier_target(&self) -> Option<Earlier> {
        let earlier = match self.view {
            View::Ticket => self.open_ticket.and_then(|t| self.floor().tickets.get(&t)).map(|t| &t.links.earlier),
            View::Call => self.open_call.and_then(|c| self.call_record(c)).map(|c| &c.earlier),
            _ => None,
        }?;
        let ticket = earlier.tickets.iter().rev().find(|t| self.floor().tickets.contains_key(t));
        if let Some(t) = ticket {
            return Some(Earlier::Ticket(*t));
        }
        earlier.calls.iter().rev().find(|c| self.call_record(c.call).is_some()).map(|c| Earlier::Call(c.call))
    }

    /// The agent the current view points at: the selected seat, or the agent of the targeted call.
    pub fn target_agent(&self) -> Option<AgentId> {
        match self.view {
            View::Agents => self.lists[ListKind::Agents].selected().and_then(RowId::agent),
            View::Call | View::Calls => {
                self.target_call().and_then(|c| self.floor().calls.get(&c)).and_then(|c| c.agent)
            }
            _ => None,
        }
    }

    /// The selected alert on the Alerts view.
    pub fn target_alert(&self) -> Option<AlertId> {
        match self.view {
            View::Alerts => self.lists[ListKind::Alerts].selected().and_then(RowId::alert),
            _ => None,
        }
    }

    /// The selected ticket on the Tickets view, or the open one on the Ticket view.
    pub fn target_ticket(&self) -> Option<TicketId> {
        match self.view {
            View::Tickets => self.lists[ListKind::Tickets].selected().and_then(RowId::ticket),
            View::Ticket => self.open_ticket,
            _ => None,
        }
    }

    /// A call as the console can show it: live from the floor, else the record of a finished one.
    pub fn call_record(&self, id: CallId) -> Option<&Call> {
        self.floor().calls.get(&id).or_else(|| self.mirror.finished_call(id).map(|f| &f.call))
    }

    /// How a finished call ended, when, and its survey score: None while it is live (or unknown).
    pub fn finished(&self, id: CallId) -> Option<(CallState, Time, Option<u8>)> {
        if self.floor().calls.contains_key(&id) {
            return None;
        }
        if let Some(f) = self.mirror.finished_call(id) {
            return Some((f.outcome, f.ended, f.survey));
        }
        self.floor().recent.iter().rev().find(|s| s.id == id).map(|s| (s.state, s.ended, None))
    }

    /// Our mode on a call, if we are on it.
    pub fn my_mode(&self, call: CallId) -> Option<SupervisorMode> {
        let user = self.user();
        self.floor().calls.get(&call).and_then(|c| c.supervisors.iter().find(|p| p.supervisor == user)).map(|p| p.mode)
    }

    /// Calls we are on, in any mode.
    pub fn my_calls(&self) -> impl Iterator<Item = CallId> + '_ {
        let user = self.user();
        self.floor().calls.values().filter(move |c| c.supervisors.iter().any(|p| p.supervisor == user)).map(|c| c.id)
    }

    /// A call we are barged into, if any.
    pub fn barged_call(&self) -> Option<CallId> {
        self.my_calls().find(|c| self.my_mode(*c) == Some(SupervisorMode::Barge))
    }

    /// Unacknowledged critical alerts, newest first: the banner on every view.
    pub fn urgent_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.floor().open_alerts().filter(|a| a.severity == Severity::Critical)
    }

    /// Whether our role may do `action` (actions that send no command always may).
    pub fn may(&self, action: Action) -> bool {
        self.has_role(action.required_role())
    }

    /// Whether our role is at least `need` (no need: always).
    pub fn has_role(&self, need: Option<Role>) -> bool {
        need.is_none_or(|need| self.mirror.role.is_some_and(|r| r.covers(need)))
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sending and messages.

    /// Asks the engine's store for what the open page needs and the floor no longer holds: a finished call this
    /// console did not see end, or the earlier notes of a ticket. Each is asked once.
    fn fetch_records(&mut self) -> Vec<Outgoing> {
        let mut wanted = Vec::new();
        if self.view == View::Call
            && let Some(id) = self.open_call
            && self.call_record(id).is_none()
        {
            wanted.push(Query::Call { call: id });
        }
        if self.view == View::Ticket
            && let Some(id) = self.open_ticket
            && self.mirror.whole_ticket(id).is_none()
            && self.floor().tickets.get(&id).is_none_or(|t| t.notes_earlier > 0)
        {
            wanted.push(Query::Ticket { ticket: id });
        }
        let mut out = Vec::new();
        for q in wanted {
            if !self.has_data() || !self.asked.insert(q.clone()) {
                continue;
            }
            self.next_id += 1;
            let id = format!("q{}", self.next_id);
            self.queries.insert(id.clone(), q.clone());
            out.push(Outgoing::query(id, q));
        }
        out
    }

    /// Why the engine's database cannot be written, while it cannot (from the newest metrics frame).
    /// The PBX source's health, on a floor a PBX feeds (from the engine's newest metrics).
    pub fn source(&self) -> Option<&SourceStatus> {
        self.mirror.metrics.as_ref()?.source.as_ref()
    }

    pub fn store_failing(&self) -> Option<&str> {
        let s = self.mirror.metrics.as_ref()?.store.as_ref()?;
        if s.ok { None } else { Some(s.error.as_deref().unwrap_or("no reason given")) }
    }

    /// True while a record the open page needs is being fetched from the engine's store.
    pub fn fetching(&self, q: &Query) -> bool {
        self.queries.values().any(|x| x == q)
    }

    fn send(&mut self, command: Command) -> Outgoing {
        self.next_id += 1;
        let id = format!("c{}", self.next_id);
        // What the supervisor typed is masked before it is cut short, so a number is never half shown.
        let shown = match &command {
            Command::Say { call, text } => Command::Say { call: *call, text: self.masked(text) },
            other => other.clone(),
        };
        let words = describe(&shown);
        self.pending.insert(id.clone(), words);
        Outgoing::command(id, command)
    }

    /// Acknowledges every unacknowledged alert the Alerts list shows (its filter applies), in one request.
    fn ack_all(&mut self) -> Vec<Outgoing> {
        let floor = &self.mirror.floor;
        let open: Vec<AlertId> = self.lists[ListKind::Alerts]
            .rows
            .iter()
            .filter_map(|r| r.alert())
            .filter(|id| floor.alerts.get(id).is_some_and(|a| a.acked.is_none()))
            .take(ACK_BATCH_MAX)
            .collect();
        if open.is_empty() {
            self.notice("no unacknowledged alerts");
            return Vec::new();
        }
        vec![self.send(Command::AckAlerts { alerts: open })]
    }

    /// Text as the transcript would show it to our role: ID, card and phone numbers masked below admin.
    pub fn masked(&self, text: &str) -> String {
        if self.mirror.role.is_some_and(Role::sees_personal_data) {
            text.to_string()
        } else {
            crate::model::redact::mask_text(text).into_owned()
        }
    }

    /// A local notice (no command was sent).
    pub fn notice(&mut self, text: &str) {
        self.message(text.to_string(), true);
    }

    /// A local error notice (no command was sent).
    pub fn notice_error(&mut self, text: &str) {
        self.message(format!("✗ {text}"), false);
    }

    fn message(&mut self, text: String, ok: bool) {
        let text = self.masked(&text);
        self.messages.push_back(Message { text, ok, at: self.mirror.floor.now });
        while self.messages.len() > MESSAGES_MAX {
            self.messages.pop_front();
        }
        self.message_ttl = MESSAGE_SECS;
    }

    /// The message the message line shows now, if one is fresh.
    pub fn current_message(&self) -> Option<&Message> {
        self.messages.back().filter(|_| self.message_ttl > 0)
    }

    // ---------------------------------------------------------------------------------------------------------
    // Text entry and dialogs.

    fn input_key(&mut self, key: Key, ev: KeyEvent) -> Vec<Outgoing> {
        let plain = !key.ctrl && !key.alt;
        match key.name {
            KeyName::Esc if plain => {
                if let Some(Input::Filter(kind, _)) = self.input.take() {
                    // Esc drops the filter typed so far.
                    self.lists[kind].filter.clear();
                    self.relist(kind);
                }
                self.completions.clear();
                return Vec::new();
            }
            KeyName::Enter if plain => {
                let Some(input) = self.input.take() else { return Vec::new() };
                self.completions.clear();
                return self.submit(input);
            }
            KeyName::Tab | KeyName::BackTab if plain => {
                let sort_columns = self.sort_columns();
                if let Some(Input::Command(area)) = &mut self.input {
                    let text = area.lines().join(" ");
                    let ctx = CompleteCtx { floor: &self.mirror.floor, sort_columns };
                    let (completed, options, _) = self.completion.tab(&text, &ctx, key.name == KeyName::Tab);
                    if completed != text {
                        let mut fresh = new_area();
                        fresh.insert_str(&completed);
                        *area = fresh;
                    }
                    self.completions = options;
                }
                return Vec::new();
            }
            KeyName::Up | KeyName::Down if plain && matches!(self.input, Some(Input::Command(_))) => {
                let text = self.input.as_ref().map(Input::text).unwrap_or_default();
                let line = if key.name == KeyName::Up { self.history.prev(&text) } else { self.history.next() };
                if let (Some(line), Some(Input::Command(area))) = (line, &mut self.input) {
                    *area = new_area();
                    area.insert_str(line);
                }
                return Vec::new();
            }
            _ => {}
        }
        self.completion.reset();
        if let Some(input) = &mut self.input {
            input.area_mut().input(ev);
        }
        if let Some(Input::Filter(kind, area)) = &self.input {
            let kind = *kind;
            self.lists[kind].filter = area.lines().join(" ");
            self.relist(kind);
        }
        Vec::new()
    }

    fn submit(&mut self, input: Input) -> Vec<Outgoing> {
        match input {
            Input::Command(area) => {
                let text = area.lines().join(" ");
                self.history.push(&text);
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
        let mut out = self.run_command_line_now(text);
        out.extend(self.fetch_records());
        out
    }

    fn run_command_line_now(&mut self, text: &str) -> Vec<Outgoing> {
        let ctx = ParseCtx {
            target_call: self.target_call(),
            target_ticket: self.target_ticket(),
            sort_columns: self.sort_columns(),
            now: self.mirror.floor.now,
        };
        match command_line::parse(text, &ctx) {
            Ok(Parsed::Send(cmds)) => {
                if let Some(role) = self.mirror.role
                    && let Some(cmd) = cmds.iter().find(|c| !c.allowed_for(role))
                {
                    self.notice_error(&cmd.refusal_for(role));
                    return Vec::new();
                }
                // Joining a live call from the command line opens it, as the keys do (a mistyped id stays put
                // and the engine's refusal says why).
                if let [Command::Monitor { call } | Command::Whisper { call } | Command::Barge { call }] =
                    cmds.as_slice()
                    && self.open_call != Some(*call)
                    && self.floor().calls.contains_key(call)
                {
                    self.open(*call);
                }
                cmds.into_iter().map(|c| self.send(c)).collect()
            }
            Ok(Parsed::Act(action)) => self.update(action),
            Ok(Parsed::AckAll) => {
                if self.view != View::Alerts {
                    // `:ack all` means every open alert, whatever the Alerts list's filter.
                    self.lists[ListKind::Alerts].filter.clear();
                    self.relist(ListKind::Alerts);
                }
                if !self.may(Action::AckAllVisible) {
                    return self.update(Action::AckAllVisible);
                }
                self.ack_all()
            }
            Ok(Parsed::Theme(name)) => {
                match Theme::load(&name) {
                    Ok(t) => {
                        self.theme = t;
                        self.notice(&format!("theme {name}"));
                    }
                    Err(e) => self.notice_error(&e.to_string()),
                }
                Vec::new()
            }
            Ok(Parsed::Keymap(name)) => {
                match Keymap::load(&name) {
                    Ok(k) => {
                        self.keymap = k;
                        self.notice(&format!("keymap {name}"));
                    }
                    Err(e) => self.notice_error(&e.to_string()),
                }
                Vec::new()
            }
            Ok(Parsed::Bell(on)) => {
                self.bell_enabled = on;
                self.notice(if on { "bell on" } else { "bell off" });
                Vec::new()
            }
            Ok(Parsed::Ack(alerts)) => {
                if !self.may(Action::Ack) {
                    return self.update(Action::Ack);
                }
                vec![self.send(Command::AckAlerts { alerts })]
            }
            Ok(Parsed::Sort { column, reverse }) => {
                let kind = self.view.list().unwrap_or(ListKind::Calls);
                if let Some(col) = kind.column(&column) {
                    let natural = lists::Sort { column: col.key, reverse: false };
                    self.lists[kind].sort = lists::Sort { reverse: reverse.unwrap_or(false), ..natural };
                    self.relist(kind);
                    if self.view.list().is_none() {
                        self.switch(View::Calls);
                    }
                    let label = self.lists[kind].sort.label(kind);
                    self.notice(&format!("sorted by {label}"));
                }
                Vec::new()
            }
            Ok(Parsed::OpenTicket(ticket)) => {
                self.open_ticket_view(ticket);
                Vec::new()
            }
            Ok(Parsed::Messages) => self.update(Action::ShowMessages),
            Ok(Parsed::Kb(query)) => self.open_kb(&query),
            Ok(Parsed::Pause) => self.update(Action::TogglePause),
            Ok(Parsed::Confirm(on)) => {
                self.confirm = on;
                self.notice(if on {
                    "confirmations on"
                } else {
                    "confirmations off: barge and seat changes act at once"
                });
                Vec::new()
            }
            Ok(Parsed::Mouse(on)) => {
                self.mouse = on;
                self.notice(if on { "mouse on" } else { "mouse off" });
                Vec::new()
            }
            Ok(Parsed::Filter(f)) => {
                self.lists[ListKind::Calls].filter = f;
                self.relist(ListKind::Calls);
                self.switch(View::Calls);
                Vec::new()
            }
            Ok(Parsed::Open(call)) => {
                self.open(call);
                Vec::new()
            }
            Ok(Parsed::Nothing) => Vec::new(),
            Err(msg) => {
                self.notice_error(&msg);
                Vec::new()
            }
        }
    }

    fn dialog_action(&mut self, action: Action) -> Vec<Outgoing> {
        let Some(mut dialog) = self.dialog.take() else { return Vec::new() };
        let (down, up) = match action {
            Action::SelectNext | Action::NextView => (true, false),
            Action::SelectPrev | Action::PrevView => (false, true),
            _ => (false, false),
        };
        if matches!(action, Action::Close | Action::ForceQuit) {
            return Vec::new();
        }
        let confirm = action == Action::Confirm;
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
                if action == Action::Toggle
                    && let Some(c) = choices.get_mut(*cursor)
                {
                    c.1 = !c.1;
                }
                if confirm {
                    let queues: Vec<QueueId> = choices.iter().filter(|c| c.1).map(|c| c.0.clone()).collect();
                    if queues.is_empty() {
                        self.notice("choose at least one queue (space toggles)");
                    } else {
                        let cmd = Command::Reassign { agent: *agent, queues: queues.clone() };
                        let emptied = self.queues_left_empty(*agent, &queues);
                        keep = false;
                        if self.confirm && !emptied.is_empty() {
                            self.dialog = Some(Dialog::Confirm {
                                title: format!("Take the last seat off {}?", emptied.join(", ")),
                                lines: vec![
                                    format!("{agent} is the only seat serving {}.", emptied.join(", ")),
                                    "Its callers will wait until another seat is added.".into(),
                                ],
                                then: Then::Send(cmd),
                            });
                            return out;
                        }
                        out.push(self.send(cmd));
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
            Dialog::Confirm { then, .. } => {
                if confirm {
                    keep = false;
                    match then.clone() {
                        Then::Quit => self.quit = true,
                        Then::Send(cmd) => out.push(self.send(cmd)),
                        Then::OpenAndSend(call, cmd) => {
                            self.open(call);
                            out.push(self.send(cmd));
                        }
                    }
                } else if action == Action::Quit {
                    // `q` in a "Quit?" dialog means: no, stay.
                    keep = false;
                }
            }
        }
        if keep {
            self.dialog = Some(dialog);
        }
        out
    }

    /// The columns `:sort` takes: the current list's (the Calls list's elsewhere).
    fn sort_columns(&self) -> Vec<&'static str> {
        self.view.list().unwrap_or(ListKind::Calls).sort_names()
    }

    /// Queues `agent` serves today that nobody else serves and that `queues` leaves out.
    fn queues_left_empty(&self, agent: AgentId, queues: &[QueueId]) -> Vec<String> {
        let floor = self.floor();
        let Some(a) = floor.agents.get(&agent) else { return Vec::new() };
        a.queues
            .iter()
            .filter(|q| !queues.contains(q))
            .filter(|q| !floor.agents.values().any(|o| o.id != agent && o.queues.contains(q)))
            .map(|q| q.to_string())
            .collect()
    }
}

/// Lines the Ticket view lists: notes and history, merged.
pub fn ticket_history_len(t: &Ticket) -> usize {
    t.notes.len() + t.history.len()
}

fn describe_call(floor: &Floor, call: CallId) -> String {
    match floor.calls.get(&call) {
        Some(c) => {
            let agent = c.agent.map(|a| a.to_string()).unwrap_or_else(|| "no agent".into());
            let queue = c.queue.as_ref().map(|q| q.as_str()).unwrap_or("—");
            format!("{call}: {queue} · {agent} · {} · {}", c.state.as_str(), c.intent)
        }
        None => format!("{call} is not on the floor"),
    }
}

fn new_area() -> TextArea<'static> {
    let mut a = TextArea::default();
    a.set_cursor_line_style(ratatui::style::Style::default());
    a
}

/// A command in words, for messages: `barge C-1042`, `reassign A-07 to billing, vip`.
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
        Command::AckAlerts { alerts } => match alerts.as_slice() {
            [one] => format!("ack {one}"),
            many => format!("ack {} alerts", many.len()),
        },
        Command::Escalate { ticket, .. } => format!("escalate {ticket}"),
        Command::Note { ticket, .. } => format!("note on {ticket}"),
        Command::Resolve { ticket, .. } => format!("resolve {ticket}"),
        Command::Confirm { call, accept: true, .. } => format!("confirm {call}"),
        Command::Confirm { call, accept: false, .. } => format!("refuse the confirmation of {call}"),
        Command::AssignCallback { call, to_agent, to_queue } => match (to_agent, to_queue) {
            (Some(a), _) => format!("assign the callback of {call} to {a}"),
            (_, Some(q)) => format!("assign the callback of {call} to {q}"),
            _ => format!("assign the callback of {call}"),
        },
        Command::AddSeats { queue, count, until, origin, .. } => {
            format!("add {count} {} seats to {queue} until {}", origin.as_str(), until.format("%H:%M"))
        }
        Command::Utterance { call, speaker, .. } => format!("feed a {} line to {call}", speaker_name(*speaker)),
        Command::CallTag { call, .. } => format!("tag {call}"),
    }
}

fn speaker_name(s: Speaker) -> &'static str {
    match s {
        Speaker::Ivr => "ivr",
        Speaker::Caller => "caller",
        Speaker::Agent => "agent",
        Speaker::Supervisor => "supervisor",
    }
}

impl App {
    /// `:kb words`: asks the engine to search its floor's knowledge base (`query{kb}`); the overlay opens on the
    /// hits when the answer comes. Before the console has a floor it searches the bundled base instead.
    pub fn open_kb(&mut self, query: &str) -> Vec<Outgoing> {
        if !self.has_data() {
            self.search_bundled_kb(query);
            return Vec::new();
        }
        self.next_id += 1;
        let id = format!("q{}", self.next_id);
        self.kb_asked = Some((id.clone(), query.to_string()));
        let q = Query::Kb { kb: query.to_string(), limit: Some(super::kb::KB_HITS as u32) };
        vec![Outgoing::query(id, q)]
    }

    /// Opens the overlay on a search's hits, saying how many.
    fn show_kb(&mut self, overlay: super::kb::KbOverlay) {
        let n = overlay.search.hits.len();
        self.notice(&format!("kb: {n} of {} clauses for '{}'", overlay.search.total, overlay.search.terms.join(" ")));
        self.kb = Some(overlay);
    }

    /// Searches the knowledge base bundled in this console named after the floor's scenario (indexed on first
    /// use): for engines that do not answer knowledge queries.
    fn search_bundled_kb(&mut self, query: &str) {
        let scenario = self.mirror.floor.scenario.clone();
        if self.kb_cache.as_ref().is_none_or(|c| c.scenario != scenario) {
            self.kb_cache = Some(super::kb::KbCache::load(&scenario));
        }
        let found = match self.kb_cache.as_ref().map(|c| &c.index) {
            Some(Ok(index)) => super::kb::KbOverlay::search(index, query),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no knowledge base".into()),
        };
        match found {
            Ok(overlay) => self.show_kb(overlay),
            Err(e) => self.notice_error(&format!("kb: {e}")),
        }
    }

    /// A key's action while the `:kb` overlay is open: move, open a clause, go back, close.
    fn kb_action(&mut self, action: Action) -> Vec<Outgoing> {
        let Some(kb) = self.kb.as_mut() else { return Vec::new() };
        match action {
            Action::SelectNext => kb.step(1),
            Action::SelectPrev => kb.step(-1),
            Action::PageDown => kb.step(10),
            Action::PageUp => kb.step(-10),
            Action::SelectFirst => kb.step(-(i64::from(u32::MAX))),
            Action::SelectLast => kb.step(i64::from(u32::MAX)),
            Action::OpenCall if kb.open.is_none() => {
                let id = kb.search.hits.get(kb.sel).map(|h| h.id.clone());
                kb.open = id.and_then(|id| kb.clauses.iter().find(|c| c.id == id).cloned());
                kb.scroll = 0;
            }
            Action::Close => {
                if kb.open.is_some() {
                    kb.open = None;
                } else {
                    self.kb = None;
                }
            }
            Action::Quit | Action::ForceQuit | Action::OpenCommandLine | Action::ToggleHelp => {
                self.kb = None;
                return self.update(action);
            }
            _ => {}
        }
        Vec::new()
    }
}
