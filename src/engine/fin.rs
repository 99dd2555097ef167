//! Finance features: the IVR's identity check and second confirmations (二次确认), and the per-caller index that
//! links a caller's calls and tickets (repeat callers, ticket history).
//!
//! The caller's number is the index's key and stays in the engine: events carry call and ticket ids only, so what
//! a role below admin sees links by ids and never by number.

use std::collections::{HashMap, VecDeque};

use chrono::Duration;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::sim::scenario::RuleSpec;
use super::sim::{Fact, normal, sample};
use super::source::{Ctx, Source};
use super::{CallMemo, CallSim, SimSource};
use crate::model::*;

/// Callers the per-caller index remembers; past this, those first seen longest ago are forgotten.
pub const CALLERS_CAP: usize = 20_000;
/// Mood a caller who hung up waiting brings to their next call.
const REDIAL_AFTER_ABANDON_MOOD: f64 = -0.2;
/// Seeds the draws of these features apart from the main stream (xor with the run's seed).
const FIN_SEED: u64 = 0x005e_c09d_c0f1_0000;

/// One caller's contacts, oldest first: calls as they ended, tickets with the call they came from.
#[derive(Debug, Default)]
struct Contacts {
    calls: VecDeque<EarlierCall>,
    tickets: VecDeque<(TicketId, Option<CallId>)>,
}

/// A caller who will call again.
#[derive(Debug)]
pub(super) struct Redial {
    caller: String,
    lang: Lang,
    intent: usize,
    abandoned: bool,
    dialect: Option<String>,
    elderly: bool,
}

/// The per-caller index: what the core knows of each caller's earlier contacts.
#[derive(Default)]
pub(super) struct Fin {
    index: HashMap<String, Contacts>,
    /// Callers in the order first seen, for the index's cap.
    order: VecDeque<String>,
    /// Earlier contacts read back from the store, by caller key: a caller's entry moves into `index` when they call
    /// again.
    restored: HashMap<String, Contacts>,
    /// The store's caller-key salt (set when the floor continues from a store).
    salt: Option<String>,
}

/// The simulator's randomness for these features: its own stream, so a seeded run is the same as before them until
/// the first repeat caller dials in.
pub(super) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ FIN_SEED)
}

impl Fin {
    /// Takes the earlier contacts a store kept, found by caller key from now on.
    pub(super) fn restore(&mut self, salt: Option<&str>, callers: &[super::store::SavedCaller]) {
        self.salt = salt.map(str::to_string);
        if self.salt.is_none() {
            return;
        }
        for c in callers {
            let contacts =
                Contacts { calls: c.calls.iter().cloned().collect(), tickets: c.tickets.iter().copied().collect() };
            self.restored.insert(c.key.clone(), contacts);
        }
    }

    /// The contacts of a caller the index has not seen in this run but the store had.
    fn restored_for(&self, caller: &str) -> Option<&Contacts> {
        if self.restored.is_empty() {
            return None;
        }
        let salt = self.salt.as_deref()?;
        self.restored.get(&super::store::caller_key(salt, caller))
    }

    /// The caller's history as a call or ticket links it: without `this` call's own entries.
    fn history(&self, caller: &str, this: Option<CallId>) -> CallerHistory {
        let Some(c) = self.index.get(caller).or_else(|| self.restored_for(caller)) else {
            return CallerHistory::default();
        };
        CallerHistory {
            calls: c.calls.iter().filter(|e| Some(e.call) != this).cloned().collect(),
            tickets: c.tickets.iter().filter(|(_, call)| call.is_none() || *call != this).map(|(t, _)| *t).collect(),
        }
    }

    fn contacts(&mut self, caller: &str) -> &mut Contacts {
        if !self.index.contains_key(caller) {
            let saved = match (&self.salt, self.restored.is_empty()) {
                (Some(salt), false) => self.restored.remove(&super::store::caller_key(salt, caller)),
                _ => None,
            };
            self.order.push_back(caller.to_string());
            while self.order.len() > CALLERS_CAP {
                if let Some(old) = self.order.pop_front() {
                    self.index.remove(&old);
                }
            }
            self.index.insert(caller.to_string(), saved.unwrap_or_default());
        }
        self.index.entry(caller.to_string()).or_default()
    }
}

/// Lines a ticket keeps of a call: around its newest rule hit (up to four lines before the hit, the hit, one line
/// after), else the caller's last lines; each cut to [`EXCERPT_LINE_CHARS`]. A hit that only suggested a card is not
/// what a ticket is about, so it is passed over.
pub(super) fn excerpt(call: &Call) -> Vec<Line> {
    let t = &call.transcript;
    let only_suggests = |h: &RuleHit| h.actions.iter().all(|a| *a == RuleAction::Suggest);
    let hit_line = call
        .rule_hits
        .iter()
        .rfind(|h| !only_suggests(h))
        .and_then(|h| t.iter().rposition(|l| l.speaker == Speaker::Caller && l.at <= h.at));
    let lines: Vec<&Line> = match hit_line {
        Some(i) => {
            let from = (i + 2).saturating_sub(EXCERPT_LINES);
            t[from..(i + 2).min(t.len())].iter().collect()
        }
        None => {
            let mut caller: Vec<&Line> =
                t.iter().rev().filter(|l| l.speaker == Speaker::Caller).take(EXCERPT_LINES).collect();
            caller.reverse();
            caller
        }
    };
    lines
        .into_iter()
        .map(|l| {
            let mut l = l.clone();
            if let Some((end, _)) = l.text.char_indices().nth(EXCERPT_LINE_CHARS) {
                l.text.truncate(end);
                l.text.push('…');
            }
            l
        })
        .collect()
}

impl<S: Source> Ctx<'_, S> {
    /// A call arrived: a caller the index knows is recognised, with their earlier calls and tickets.
    pub(super) fn recognise_caller(&mut self, id: CallId) {
        let Some(caller) = self.core.calls.get(&id).map(|c| c.caller.as_str()) else { return };
        let earlier = self.core.fin.history(caller, Some(id));
        if !earlier.is_empty() {
            self.emit(EventKind::CallerRecognised { call: id, earlier });
        }
    }
}

impl Ctx<'_, SimSource> {
    /// The IVR checks the caller's identity, on floors with `[verification]`.
    pub(super) fn ivr_verify(&mut self, id: CallId) {
        let Some(policy) = &self.core.scenario.verification else { return };
        let Some(cs) = self.src.calls.get(&id) else { return };
        let shares = self.core.scenario.intents.get(cs.intent).and_then(|i| i.verification).unwrap_or(policy.shares);
        let u: f64 = self.src.fin_rng.random();
        let verification = if u < shares.otp {
            Verification::Otp
        } else if u < shares.otp + shares.voiceprint {
            Verification::Voiceprint
        } else if u < shares.otp + shares.voiceprint + shares.failed {
            Verification::Failed
        } else {
            Verification::Unverified
        };
        self.emit(EventKind::CallVerified { call: id, verification });
    }
}

impl<S: Source> Ctx<'_, S> {
    /// A rule that requires verification matched: on a call that is not verified, a critical alert and a second
    /// confirmation (unless one is already pending), which the agent looks at after `[verification] agent_after`.
    pub(super) fn require_verification(&mut self, id: CallId, rule: &RuleSpec, word: &str) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        if call.verification.is_some_and(Verification::is_verified)
            || call.confirmation.as_ref().is_some_and(|c| c.is_pending())
        {
            return;
        }
        let state = call.verification.map(Verification::describe).unwrap_or("not verified by the IVR");
        let message = format!("{id}: caller said '{word}' ({}) on a call that is {state}: confirm or refuse", rule.id);
        self.emit(EventKind::ConfirmationRequested { call: id, rule: rule.id.clone(), word: word.to_string() });
        self.raise(AlertKind::SecondConfirmation, Severity::Critical, id.to_string(), message);
        S::confirmation_requested(self, id);
    }
}

impl Ctx<'_, SimSource> {
    pub(super) fn schedule_agent_confirm(&mut self, id: CallId) {
        let Some(policy) = &self.core.scenario.verification else { return };
        if let Some(d) = sample(&policy.agent_after, &mut self.src.fin_rng) {
            self.at(self.core.now + d, Fact::AgentConfirm(id));
        }
    }

    /// The agent looks at a pending second confirmation: with `agent_decides` they settle it (confirming with
    /// `agent_accepts`), else they leave it to a supervisor. A call not yet with an agent is looked at again later.
    pub(super) fn agent_confirm(&mut self, id: CallId) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        if !call.confirmation.as_ref().is_some_and(|c| c.is_pending()) {
            return;
        }
        let Some(policy) = &self.core.scenario.verification else { return };
        let (decides, accepts) = (policy.agent_decides, policy.agent_accepts);
        let agent = call.agent.filter(|_| matches!(call.state, CallState::Connected | CallState::Held));
        let Some(agent) = agent else {
            self.schedule_agent_confirm(id);
            return;
        };
        if !self.src.fin_rng.random_bool(decides.clamp(0.0, 1.0)) {
            return;
        }
        let accept = self.src.fin_rng.random_bool(accepts.clamp(0.0, 1.0));
        let by = format!("agent {agent}");
        self.emit(EventKind::ConfirmationDecided { call: id, accept, by: by.clone(), note: None });
        if !accept {
            self.confirmation_refused(id, &by, None);
        }
    }
}

impl<S: Source> Ctx<'_, S> {
    /// The `confirm` command: confirms or refuses the call's pending second confirmation.
    pub(super) fn decide_confirm(
        &mut self,
        actor: &Actor,
        id: CallId,
        accept: bool,
        note: Option<&str>,
    ) -> Result<Option<String>, CommandError> {
        let call = self
            .core
            .floor
            .calls
            .get(&id)
            .ok_or_else(|| CommandError::not_found(format!("there is no live call {id}: it may have ended")))?;
        match &call.confirmation {
            None => {
                return Err(CommandError::conflict(format!(
                    "{id} is not waiting for a second confirmation: only a call a verification rule stopped can be confirmed"
                )));
            }
            Some(c) if !c.is_pending() => {
                let by = c.by.as_deref().unwrap_or("someone");
                return Err(CommandError::conflict(format!(
                    "the second confirmation of {id} was already {} by {by}",
                    c.state.as_str()
                )));
            }
            Some(_) => {}
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        self.emit(EventKind::ConfirmationDecided { call: id, accept, by: actor.name.clone(), note: note.clone() });
        if accept {
            Ok(Some("confirmed".into()))
        } else {
            self.confirmation_refused(id, &actor.name, note.as_deref());
            Ok(Some("refused: the call cannot be transferred and an identity-review ticket was opened".into()))
        }
    }

    /// What a bank does when a second confirmation is refused: the request is declined (the call keeps its risk
    /// flag and cannot be transferred, so the caller cannot try again at another desk) and an urgent
    /// identity-review ticket is opened.
    fn confirmation_refused(&mut self, id: CallId, by: &str, note: Option<&str>) {
        let word = self.core.floor.calls.get(&id).and_then(|c| c.confirmation.as_ref()).map(|c| c.word.clone());
        let why = note.map(|n| format!(": {n}")).unwrap_or_default();
        let summary = format!("second confirmation of {id} refused by {by} ('{}'){why}", word.unwrap_or_default());
        self.open_ticket(Some(id), "identity-review", TicketPriority::Urgent, summary, None);
    }

    /// Keeps a call's excerpt as it ends, for tickets opened after it left the floor (a survey's).
    pub(super) fn keep_excerpt(&mut self, id: CallId) {
        let Some(call) = self.core.floor.calls.get(&id) else { return };
        let lines = excerpt(call);
        if let Some(cs) = self.core.calls.get_mut(&id) {
            cs.excerpt = lines;
        }
    }

    /// A call ended or was abandoned: it joins its caller's index, and the caller may call again.
    pub(super) fn call_finished(&mut self, id: CallId, outcome: CallState) {
        let Some(caller) = self.core.calls.get(&id).map(|c| c.caller.clone()) else { return };
        let at = self.core.now;
        let contacts = self.core.fin.contacts(&caller);
        contacts.calls.push_back(EarlierCall { call: id, outcome, at });
        while contacts.calls.len() > EARLIER_CAP {
            contacts.calls.pop_front();
        }
        S::call_finished(self, id, outcome);
    }
}

impl Ctx<'_, SimSource> {
    /// A simulated caller whose call ended or was abandoned may call again (the scenario's `[repeat]`).
    pub(super) fn redial_maybe(&mut self, id: CallId, outcome: CallState) {
        let Some(cs) = self.src.calls.get(&id) else { return };
        let (intent, lang) = (cs.intent, cs.lang);
        let (dialect, elderly) = (cs.dialect.clone(), cs.elderly);
        let Some(caller) = self.core.calls.get(&id).map(|c| c.caller.clone()) else { return };
        let r = &self.core.scenario.repeat;
        let abandoned = outcome == CallState::Abandoned;
        let share = if abandoned {
            r.after_abandon
        } else if self.core.ticket_causes.get(&id).is_some_and(|t| !t.is_empty()) {
            r.after_ticket
        } else {
            r.after_call
        };
        if share > 0.0 && self.src.fin_rng.random_bool(share.clamp(0.0, 1.0)) {
            let delay = sample(&r.delay, &mut self.src.fin_rng);
            if let Some(d) = delay {
                self.src.redials.insert(id, Redial { caller, lang, intent, abandoned, dialect, elderly });
                self.at(self.core.now + d, Fact::Redial(id));
            }
        }
    }

    /// A caller calls again, with the same number, language and reason.
    pub(super) fn redial(&mut self, earlier: CallId) {
        let Some(r) = self.src.redials.remove(&earlier) else { return };
        let Some(spec) = self.core.scenario.intents.get(r.intent) else { return };
        self.core.next_call += 1;
        let id = CallId(self.core.next_call);
        let base = spec.mood + if r.abandoned { REDIAL_AFTER_ABANDON_MOOD } else { 0.0 };
        let mood = (base + 0.15 * normal(&mut self.src.fin_rng)).clamp(-1.0, 1.0);
        let intent_id = spec.id.clone();
        let mut cs = CallSim::new(r.intent, mood, r.lang);
        (cs.dialect, cs.elderly) = (r.dialect.clone(), r.elderly);
        self.src.calls.insert(id, cs);
        self.core.calls.insert(id, CallMemo::new(r.caller.clone()));
        self.emit(EventKind::CallArrived {
            call: id,
            caller: r.caller,
            lang: r.lang,
            intent: intent_id,
            dialect: r.dialect,
            elderly: r.elderly,
        });
        self.recognise_caller(id);
        self.look_up_orders(id);
        let d = sample(&self.core.scenario.behaviour.ivr, &mut self.src.fin_rng).unwrap_or_default();
        self.at(self.core.now + d, Fact::IvrDone(id));
    }
}

impl<S: Source> Ctx<'_, S> {
    /// What a ticket opened now for `call` links to: the call's excerpt and the caller's earlier contacts. The
    /// ticket then joins the caller's index.
    pub(super) fn ticket_links(&mut self, call: Option<CallId>, ticket: TicketId) -> TicketLinks {
        let Some(c) = call else { return TicketLinks::default() };
        let live = self.core.floor.calls.get(&c);
        let excerpt = match live {
            Some(x) => excerpt(x),
            None => self.core.calls.get(&c).map(|s| s.excerpt.clone()).unwrap_or_default(),
        };
        let caller = live.map(|x| x.caller.clone()).or_else(|| self.core.calls.get(&c).map(|s| s.caller.clone()));
        let Some(caller) = caller else { return TicketLinks { excerpt, earlier: CallerHistory::default() } };
        let earlier = self.core.fin.history(&caller, Some(c));
        let contacts = self.core.fin.contacts(&caller);
        contacts.tickets.push_back((ticket, Some(c)));
        while contacts.tickets.len() > EARLIER_CAP {
            contacts.tickets.pop_front();
        }
        TicketLinks { excerpt, earlier }
    }

    /// Whether a refused second confirmation holds the call where it is.
    pub(super) fn transfer_blocked(&self, call: &Call) -> Option<CommandError> {
        let c = call.confirmation.as_ref().filter(|c| c.state == ConfirmationState::Refused)?;
        Some(CommandError::conflict(format!(
            "the second confirmation of {} was refused by {}: the call cannot be transferred (the caller's request is \
             declined; see the identity-review ticket)",
            call.id,
            c.by.as_deref().unwrap_or("a supervisor")
        )))
    }
}

impl CallSim {
    /// The simulator's state of a call that just arrived.
    pub(super) fn new(intent: usize, mood: f64, lang: Lang) -> CallSim {
        CallSim {
            intent,
            mood,
            epoch: 0,
            offers: 0,
            talk_left: Duration::zero(),
            talk_started: None,
            agent_turn: true,
            agent_spoke: false,
            lines: 0,
            final_mood: mood,
            lang,
            dialect: None,
            elderly: false,
        }
    }
}
