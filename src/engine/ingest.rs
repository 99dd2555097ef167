//! The feed commands of the `ingest` role: lines a speech recogniser heard on a call (`utterance`) and what a feeder
//! learned about it (`call_tag`). A PBX gives the floor no words; these do, and the engine treats a fed caller line
//! as it treats a simulated one (sentiment, keyword rules, sentiment alerts), so urgent and risk words work on a real
//! floor.

use std::collections::VecDeque;

use super::SimSource;
use super::source::{Ctx, Source};
use crate::model::*;

/// What the engine remembers of the feed: the ended calls a feeder already scored, newest last (as many as the
/// floor keeps finished calls, which bounds the calls a score can be given to anyway).
#[derive(Debug, Clone, Default)]
pub(super) struct Feed {
    surveyed: VecDeque<CallId>,
}

fn bad_frame(message: impl Into<String>) -> CommandError {
    CommandError::new(ErrorCode::BadFrame, message)
}

impl<S: Source> Ctx<'_, S> {
    /// Decides a feed command (`utterance`, `call_tag`); the role was checked by the caller.
    pub(super) fn decide_ingest(&mut self, actor: &Actor, cmd: &Command) -> Result<Option<String>, CommandError> {
        match cmd {
            Command::Utterance { call, speaker, text, lang } => self.fed_line(actor, *call, *speaker, text, *lang),
            Command::CallTag { call, survey: Some(score), intent, lang, dialect, elderly } => {
                if intent.is_some() || lang.is_some() || dialect.is_some() || elderly.is_some() {
                    return Err(bad_frame(
                        "a survey score comes after the call and the other tags during it: send the score in a \
                         call_tag of its own",
                    ));
                }
                self.fed_survey(*call, *score)
            }
            Command::CallTag { call, intent, lang, dialect, elderly, survey: None } => {
                self.fed_tag(actor, *call, intent.as_deref(), *lang, dialect.as_deref(), *elderly)
            }
            other => Err(bad_frame(format!("{} is not a feed command", other.name()))),
        }
    }

    /// A line heard on a live call. The caller may speak from the IVR on; the agent once the call is answered.
    fn fed_line(
        &mut self,
        actor: &Actor,
        call: CallId,
        speaker: Speaker,
        text: &str,
        lang: Option<Lang>,
    ) -> Result<Option<String>, CommandError> {
        if !matches!(speaker, Speaker::Caller | Speaker::Agent) {
            return Err(bad_frame(format!(
                "a fed line is spoken by the caller or the agent, not by {}: supervisors speak with say",
                match speaker {
                    Speaker::Ivr => "the ivr",
                    _ => "a supervisor",
                }
            )));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(bad_frame("the line is empty: send the words the recogniser heard"));
        }
        let c = self.live_call(call)?;
        if speaker == Speaker::Agent && !matches!(c.state, CallState::Connected | CallState::Held) {
            return Err(CommandError::conflict(format!(
                "{call} is {}: no agent is on it yet, so only the caller speaks",
                c.state.as_str()
            )));
        }
        // The recogniser hears the language; the floor may have guessed it from the queue.
        if speaker == Speaker::Caller
            && let Some(l) = lang.filter(|l| *l != c.lang)
        {
            self.retag_lang(call, l, &actor.name);
        }
        let analysis = self.core.analyzer.analyze(text);
        self.emit(EventKind::Utterance {
            call,
            speaker,
            text: text.to_string(),
            sentiment: analysis.sentiment,
            // Emotion labels are the caller's (as for the simulator's lines).
            emotion: if speaker == Speaker::Caller { analysis.emotion } else { None },
            whisper: false,
            by: None,
        });
        // As with the simulator's lines, the caller's words drive rules and the sentiment alert.
        if speaker == Speaker::Caller {
            if !analysis.hits.is_empty() {
                self.apply_rules(call, &analysis);
            }
            self.check_sentiment(call);
        }
        Ok(None)
    }

    /// Changes the language of `call` (and of the sim's state of it), then routes it again if the engine routes it.
    fn retag_lang(&mut self, call: CallId, lang: Lang, by: &str) {
        self.emit(EventKind::CallTagged {
            call,
            intent: None,
            lang: Some(lang),
            dialect: None,
            elderly: None,
            by: by.to_string(),
        });
        self.after_tag(call, Some(lang), None);
    }

    /// Tells the source a call was retagged (the simulator keeps its state in step and routes again; a PBX routes
    /// its own calls).
    fn after_tag(&mut self, call: CallId, lang: Option<Lang>, elderly: Option<bool>) {
        S::retagged(self, call, lang, elderly);
    }
}

impl Ctx<'_, SimSource> {
    /// Keeps the simulator's state of a tagged call in step, and lets routing look again at a waiting call.
    pub(super) fn retag_sim(&mut self, call: CallId, lang: Option<Lang>, elderly: Option<bool>) {
        let Some(cs) = self.src.calls.get_mut(&call) else { return };
        if let Some(l) = lang {
            cs.lang = l;
        }
        if let Some(e) = elderly {
            cs.elderly = e;
        }
        if lang.is_some() && self.core.floor.calls.get(&call).is_some_and(|c| c.state == CallState::Queued) {
            self.route_call(call);
        }
    }
}

impl<S: Source> Ctx<'_, S> {
    fn fed_tag(
        &mut self,
        actor: &Actor,
        call: CallId,
        intent: Option<&str>,
        lang: Option<Lang>,
        dialect: Option<&str>,
        elderly: Option<bool>,
    ) -> Result<Option<String>, CommandError> {
        if intent.is_none() && lang.is_none() && dialect.is_none() && elderly.is_none() {
            return Err(bad_frame("call_tag carries nothing to tag: give intent, lang, dialect, elderly or survey"));
        }
        let intent = intent.map(str::trim);
        if intent.is_some_and(str::is_empty) {
            return Err(bad_frame("the intent is empty: tag a short label such as 'billing'"));
        }
        if let Some(d) = dialect
            && !self.core.floor.dialects.iter().any(|x| x.id == d)
        {
            let known: Vec<&str> = self.core.floor.dialects.iter().map(|x| x.id.as_str()).collect();
            return Err(CommandError::not_found(if known.is_empty() {
                format!("there is no dialect '{d}': this floor has no dialects")
            } else {
                format!("there is no dialect '{d}': the floor's dialects are {}", known.join(", "))
            }));
        }
        let c = self.live_call(call)?;
        // Only what changes travels, so a feeder repeating itself adds no events.
        let intent = intent.filter(|i| *i != c.intent).map(str::to_string);
        let lang = lang.filter(|l| *l != c.lang);
        let dialect = dialect.filter(|d| c.dialect.as_deref() != Some(*d)).map(str::to_string);
        let elderly = elderly.filter(|e| *e != c.elderly);
        if intent.is_none() && lang.is_none() && dialect.is_none() && elderly.is_none() {
            return Ok(Some("nothing changed".into()));
        }
        self.emit(EventKind::CallTagged { call, intent, lang, dialect, elderly, by: actor.name.clone() });
        // An elderly caller waiting in a queue moves up as one tagged in the IVR would have.
        if elderly == Some(true)
            && let Some(c) = self.core.floor.calls.get(&call).filter(|c| c.state == CallState::Queued)
        {
            let current = c.priority;
            let bumped = self.elderly_bump(call, current);
            if bumped > current {
                self.emit(EventKind::CallPriorityRaised {
                    call,
                    priority: bumped,
                    reason: format!("elderly caller (tagged by {})", actor.name),
                });
            }
        }
        self.after_tag(call, lang, elderly);
        Ok(None)
    }

    /// The caller's post-call score of a call that ended recently (one the floor still lists among finished calls).
    fn fed_survey(&mut self, call: CallId, score: u8) -> Result<Option<String>, CommandError> {
        if !SURVEY_SCORES.contains(&score) {
            return Err(bad_frame(format!("a survey score runs from 1 to 5, not {score}")));
        }
        if let Some(c) = self.core.floor.calls.get(&call) {
            return Err(CommandError::conflict(format!(
                "{call} is still {}: send its survey score once it has ended",
                c.state.as_str()
            )));
        }
        let Some(done) = self.core.floor.recent.iter().rev().find(|s| s.id == call) else {
            return Err(CommandError::not_found(format!(
                "there is no recently ended call {call}: scores are taken for the last {RECENT_CAP} calls that ended"
            )));
        };
        if done.state == CallState::Abandoned {
            return Err(CommandError::conflict(format!(
                "{call} was abandoned before anyone answered: there is no conversation to score"
            )));
        }
        if self.core.feed.surveyed.contains(&call) {
            return Err(CommandError::conflict(format!("{call} already has a survey score")));
        }
        let queue = done.queue.as_ref().map(|q| q.to_string()).unwrap_or_default();
        self.survey_scored(call, score, queue);
        // The caller answered: a simulated survey still due for this call has nothing left to ask.
        self.src.drop_call(call);
        self.core.forget_call(call);
        self.core.feed.surveyed.push_back(call);
        while self.core.feed.surveyed.len() > RECENT_CAP {
            self.core.feed.surveyed.pop_front();
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::engine::sim::scenario::Scenario;
    use crate::engine::source::AnySource;

    /// A call the core keeps no memo of and the simulator does not drive (the floor holds it, nothing else does)
    /// still gets its rules, once each, and its sentiment alerts, once per severity, from fed lines.
    #[test]
    fn a_call_without_sim_state_gets_rules_and_sentiment_alerts_once() {
        let Ok(s) = Scenario::load("bank") else { panic!("the bundled bank scenario must load") };
        let mut engine = Engine::new(s, 3);
        let mut call = None;
        for _ in 0..720 {
            call = engine.core.floor.calls.values().find(|c| c.rule_hits.is_empty()).map(|c| c.id);
            if call.is_some() {
                break;
            }
            let t = engine.core.now + chrono::Duration::seconds(5);
            engine.advance_to(t);
        }
        let Some(call) = call else { panic!("a call arrives within the hour") };
        engine.core.calls.remove(&call);
        if let AnySource::Sim(s) = &mut engine.source {
            s.calls.remove(&call);
        }
        let feeder = Actor::new("asr", Role::Ingest);
        let say = |text: &str| Command::Utterance { call, speaker: Speaker::Caller, text: text.into(), lang: None };
        let alerts = |e: &Engine, kind: AlertKind| {
            e.core.floor.alerts.values().filter(|a| a.kind == kind && a.subject == call.to_string()).count()
        };
        for _ in 0..2 {
            assert_eq!(engine.command(&feeder, &say("I was scammed, someone stole my money")), Ok(()));
        }
        assert_eq!(engine.core.floor.calls[&call].rule_hits.len(), 1, "a rule acts once per call");
        assert_eq!(alerts(&engine, AlertKind::UrgentKeyword), 1);
        assert_eq!(engine.command(&feeder, &say("thank you, that is great, very helpful")), Ok(()));
        for _ in 0..10 {
            assert_eq!(engine.command(&feeder, &say("this is terrible, I am furious and angry")), Ok(()));
        }
        assert_eq!(alerts(&engine, AlertKind::NegativeSentiment), 2, "a warning, then a critical alert, no more");
        // Past the alerts' re-trigger interval, the floor's alerts (not a timer) keep it at one per severity.
        let t = engine.core.now + chrono::Duration::seconds(engine.core.scenario.thresholds.retrigger_s as i64 + 60);
        engine.advance_to(t);
        assert_eq!(engine.command(&feeder, &say("this is terrible, I am furious and angry")), Ok(()));
        assert_eq!(alerts(&engine, AlertKind::NegativeSentiment), 2);
        let sim_kept = matches!(&engine.source, AnySource::Sim(s) if s.calls.contains_key(&call));
        assert!(!engine.core.calls.contains_key(&call) && !sim_kept, "feeding makes no per-call state");
    }
}
