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
            // A feeder's intent (`call_tag`) is free text.
            text(&mut c.intent);
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
        // A feeder's intent (`call_tag`) is free text.
        text(&mut c.intent);
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
            | EventKind::CallTagged { intent: Some(_), .. }
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
        EventKind::CallTagged { intent: Some(i), .. } => Some(i.as_str()),
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
        // A feeder's intent is free text: a recogniser may have put a number in it.
        EventKind::CallTagged { intent: Some(i), .. } => text(i),
        _ => {}
    }
    Cow::Owned(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call record read back for a role below admin hides the numbers issue 9's fields carry: the other contacts
    /// of a student and numbers in a confirmation note (the store keeps them masked already unless the scenario
    /// keeps them clear; a record kept clear is masked here).
    #[test]
    fn a_call_record_below_admin_masks_student_contacts_and_confirmation_notes() {
        let at = Time::default();
        let record = CallRecord {
            run: 1,
            id: CallId(7),
            caller: Some("13812345678".into()),
            queue: None,
            agent: None,
            lang: "zh".into(),
            intent: "fees".into(),
            arrived: at,
            answered: None,
            ended: at,
            wait_s: 0.0,
            talk_s: 0.0,
            outcome: "ended".into(),
            final_sentiment: 0.0,
            urgent: false,
            risk: false,
            ring_outs: 0,
            transcript: Vec::new(),
            rule_hits: Vec::new(),
            recorded: None,
            verification: Some(Verification::Otp),
            confirmation: Some(ConfirmationState::Refused),
            confirmed_by: Some("ana".into()),
            repeat_caller: true,
            callback_for: None,
            callback_outcome: None,
            temp_seat: false,
            dialect: None,
            elderly: None,
            details: CallDetails {
                confirmation: Some(Confirmation {
                    state: ConfirmationState::Refused,
                    rule: "transfer".into(),
                    word: "转账".into(),
                    asked: at,
                    by: Some("ana".into()),
                    decided: Some(at),
                    note: Some("caller gave 13912345678, not the number on file".into()),
                }),
                student: Some(StudentLink {
                    student: "S-1".into(),
                    name: "Li".into(),
                    class: "3A".into(),
                    role: ContactRole::Parent,
                    others: vec![StudentCall {
                        call: CallId(3),
                        role: ContactRole::Teacher,
                        number: "13712345678".into(),
                        at,
                    }],
                }),
                ..CallDetails::default()
            },
        };
        let Record::Call(masked) = mask_record(Record::Call(Box::new(record))) else { panic!("a call record") };
        let note = masked.details.confirmation.as_ref().and_then(|c| c.note.clone()).unwrap_or_default();
        assert!(!note.contains("13912345678") && note.contains("not the number on file"), "{note}");
        let other = masked.details.student.as_ref().map(|s| s.others[0].number.clone()).unwrap_or_default();
        assert!(!other.contains("13712345678") && other.ends_with("5678"), "{other}");
        assert_eq!(masked.caller.as_deref().map(|c| c.contains("13812345678")), Some(false));
        // What auditors filter on stays as it was.
        assert_eq!(
            (masked.verification, masked.confirmation, masked.repeat_caller),
            (Some(Verification::Otp), Some(ConfirmationState::Refused), true)
        );
    }

    /// A feeder's intent is free text: a number a recogniser put in it is masked below admin in the event, on the
    /// floor and in a stored call's record; an intent without one travels as it is.
    #[test]
    fn a_tagged_intent_is_masked_like_other_texts() {
        let at = Time::default();
        let tagged = |intent: &str| Event {
            at,
            kind: EventKind::CallTagged {
                call: CallId(1),
                intent: Some(intent.into()),
                lang: None,
                dialect: None,
                elderly: None,
                by: "asr".into(),
            },
        };
        let ev = tagged("refund to card 6222020123456789012");
        let EventKind::CallTagged { intent: Some(masked), .. } = &mask_event(&ev).kind else { panic!("a tag") };
        assert_eq!(masked, "refund to card ***************9012");
        assert!(matches!(mask_event(&tagged("billing")), Cow::Borrowed(_)), "nothing to mask: no copy");
        let mut floor = Floor::default();
        floor.apply(&Event {
            at,
            kind: EventKind::CallArrived {
                call: CallId(1),
                caller: "13812345678".into(),
                lang: Lang::Zh,
                intent: "fees".into(),
                dialect: None,
                elderly: false,
            },
        });
        floor.apply(&ev);
        assert_eq!(floor.calls[&CallId(1)].intent, "refund to card 6222020123456789012");
        assert_eq!(mask_floor(&floor).calls[&CallId(1)].intent, "refund to card ***************9012");
    }
}
