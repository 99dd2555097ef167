//! What roles below admin see: caller numbers and ID / card numbers in free text masked, in snapshots and events
//! alike, so a mirror built from masked events equals the masked engine floor. The masking itself is
//! [`crate::model::redact`]'s (the console uses the same functions).

use std::borrow::Cow;

use crate::model::redact::{mask_number, mask_text};
use crate::model::*;

fn text(s: &mut String) {
    if let Cow::Owned(m) = mask_text(s) {
        *s = m;
    }
}

fn ticket(t: &mut Ticket) {
    text(&mut t.summary);
    for n in &mut t.notes {
        text(&mut n.text);
    }
    for l in &mut t.links.excerpt {
        text(&mut l.text);
    }
}

/// A call's second confirmation: the word that asked for it and the note it was settled with.
fn confirmation(c: &mut Confirmation) {
    text(&mut c.word);
    if let Some(n) = &mut c.note {
        text(n);
    }
}

/// A call's orders: the texts an outside system wrote (items, a failure's reason) may hold a number. Tracking
/// numbers and order ids are shown as they are: the agent reads them out to the caller.
fn call_orders(o: &mut CallOrders) {
    match o {
        CallOrders::Found { orders, .. } => orders.iter_mut().for_each(|o| text(&mut o.item)),
        CallOrders::Failed { reason } => text(reason),
        CallOrders::Pending { .. } => {}
    }
}

fn audit(e: &mut AuditEntry) {
    text(&mut e.command);
    text(&mut e.outcome);
}

/// A record from the store as roles below admin see it (the store masks transcripts already, unless the scenario
/// keeps them clear).
pub fn mask_record(record: Record) -> Record {
    match record {
        Record::Call(mut c) => {
            // Stored masked already unless the scenario keeps numbers clear: masking twice would hide more digits.
            if let Some(caller) = c.caller.as_mut().filter(|c| !c.contains('*')) {
                *caller = mask_number(caller);
            }
            for l in &mut c.transcript {
                text(&mut l.text);
            }
            for h in &mut c.rule_hits {
                text(&mut h.word);
            }
            Record::Call(c)
        }
        Record::Ticket(mut t) => {
            ticket(&mut t.ticket);
            for n in &mut t.ticket.history {
                text(&mut n.text);
            }
            Record::Ticket(t)
        }
    }
}

/// A copy of `floor` as roles below admin see it.
pub fn mask_floor(floor: &Floor) -> Floor {
    let mut f = floor.clone();
    for c in f.calls.values_mut() {
        c.caller = mask_number(&c.caller);
        for l in &mut c.transcript {
            text(&mut l.text);
        }
        for h in &mut c.rule_hits {
            text(&mut h.word);
        }
        if let Some(k) = &mut c.confirmation {
            confirmation(k);
        }
        if let Some(o) = &mut c.orders {
            call_orders(o);
        }
        if let Some(s) = &mut c.student {
            for o in &mut s.others {
                o.number = mask_number(&o.number);
            }
        }
    }
    for s in f.students.values_mut() {
        for c in &mut s.calls {
            c.number = mask_number(&c.number);
        }
    }
    for cb in &mut f.callbacks {
        cb.caller = mask_number(&cb.caller);
    }
    for t in f.tickets.values_mut() {
        ticket(t);
    }
    for a in f.alerts.values_mut() {
        text(&mut a.message);
    }
    for e in &mut f.audit {
        audit(e);
    }
    f
}

/// `ev` as roles below admin see it; borrowed when it carries nothing to mask.
pub fn mask_event(ev: &Event) -> Cow<'_, Event> {
    let carries_pii = matches!(
        ev.kind,
        EventKind::CallArrived { .. }
            | EventKind::Utterance { .. }
            | EventKind::RuleMatched { .. }
            | EventKind::AlertRaised { .. }
            | EventKind::TicketOpened { .. }
            | EventKind::TicketEscalated { .. }
            | EventKind::TicketNoted { .. }
            | EventKind::TicketResolved { .. }
            | EventKind::Audited { .. }
            | EventKind::ConfirmationRequested { .. }
            | EventKind::ConfirmationDecided { note: Some(_), .. }
            | EventKind::StudentCallLinked { .. }
            | EventKind::CallbackDialed { .. }
            | EventKind::CardSuggested { .. }
            | EventKind::OrdersFound { .. }
            | EventKind::OrdersFailed { .. }
    );
    if !carries_pii {
        return Cow::Borrowed(ev);
    }
    // Most of these carry one text (an utterance above all) that usually holds no number: no copy then.
    let only_text = match &ev.kind {
        EventKind::Utterance { text, .. } | EventKind::TicketNoted { text, .. } => Some(text.as_str()),
        EventKind::RuleMatched { word, .. }
        | EventKind::ConfirmationRequested { word, .. }
        | EventKind::CardSuggested { word, .. } => Some(word.as_str()),
        EventKind::ConfirmationDecided { note: Some(n), .. } => Some(n.as_str()),
        EventKind::OrdersFailed { reason, .. } => Some(reason.as_str()),
        EventKind::AlertRaised { alert } => Some(alert.message.as_str()),
        EventKind::TicketEscalated { note, .. } | EventKind::TicketResolved { note, .. } => Some(note.as_str()),
        _ => None,
    };
    if only_text.is_some_and(|t| matches!(mask_text(t), Cow::Borrowed(_))) {
        return Cow::Borrowed(ev);
    }
    if let EventKind::OrdersFound { orders, .. } = &ev.kind
        && orders.iter().all(|o| matches!(mask_text(&o.item), Cow::Borrowed(_)))
    {
        return Cow::Borrowed(ev);
    }
    let mut ev = ev.clone();
    match &mut ev.kind {
        EventKind::CallArrived { caller, .. } => *caller = mask_number(caller),
        EventKind::Utterance { text: t, .. } => text(t),
        EventKind::RuleMatched { word, .. } | EventKind::CardSuggested { word, .. } => text(word),
        EventKind::AlertRaised { alert } => text(&mut alert.message),
        EventKind::TicketOpened { ticket: t } => ticket(t),
        EventKind::TicketEscalated { note, .. } | EventKind::TicketResolved { note, .. } => text(note),
        EventKind::TicketNoted { text: t, .. } => text(t),
        EventKind::Audited { entry } => audit(entry),
        EventKind::ConfirmationRequested { word, .. } => text(word),
        EventKind::ConfirmationDecided { note: Some(n), .. } => text(n),
        EventKind::StudentCallLinked { number, .. } => *number = mask_number(number),
        EventKind::CallbackDialed { caller, .. } => *caller = mask_number(caller),
        EventKind::OrdersFound { orders, .. } => orders.iter_mut().for_each(|o| text(&mut o.item)),
        EventKind::OrdersFailed { reason, .. } => text(reason),
        _ => {}
    }
    Cow::Owned(ev)
}
