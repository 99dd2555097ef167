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
            if let Some(n) = c.details.confirmation.as_mut().and_then(|k| k.note.as_mut()) {
                text(n);
            }
            if let Some(s) = c.details.student.as_mut() {
                for o in s.others.iter_mut().filter(|o| !o.number.contains('*')) {
                    o.number = mask_number(&o.number);
                }
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
        // Public policy text: nothing to mask.
        Record::Kb(k) => Record::Kb(k),
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
        EventKind::AlertRaised { alert } => Some(alert.message.as_str()),
        EventKind::TicketEscalated { note, .. } | EventKind::TicketResolved { note, .. } => Some(note.as_str()),
        _ => None,
    };
    if only_text.is_some_and(|t| matches!(mask_text(t), Cow::Borrowed(_))) {
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
        _ => {}
    }
    Cow::Owned(ev)
}
