//! The checks serde cannot make: references between sections, value ranges and orderings. Each names the table
//! and key it is about, and the first one a scenario breaks (in file order) is reported.

use super::locate::{self, ScenarioError};
use super::schema::{Bank, Dist, Level, Scenario};
use super::time::{TimeOfDay, not_a_time};
use crate::model::{Lang, RuleAction};

/// A path the validator names: keys of the format, indices into arrays.
type Step = locate::Step<'static>;

use locate::Step::{Index as I, Key as K};

impl Scenario {
    /// Checks what serde cannot: references between sections and value ranges. The error points at the line of
    /// the offending key, found from the spans the TOML parser records.
    pub(super) fn validate(&self, text: &str, source_name: &str) -> Result<(), ScenarioError> {
        self.check().map_err(|p| p.into_error(text, source_name))
    }

    /// Checks a floor description's scenario (see `floor`): the tables a PBX floor has, not arrivals, intents or
    /// behaviour, which the PBX does.
    pub(super) fn validate_floor(&self, text: &str, source_name: &str) -> Result<(), ScenarioError> {
        let check = || -> Result<(), Problem> {
            check_not_blank(&self.scenario.id, &[K("scenario"), K("id")], "[scenario] id")?;
            check_not_blank(&self.scenario.title, &[K("scenario"), K("title")], "[scenario] title")?;
            self.check_queues()?;
            self.check_agents()?;
            self.check_rules()?;
            self.check_cards()?;
            self.check_thresholds()?;
            self.check_tickets()?;
            self.check_survey()
        };
        // A floor description's [[agents]] are seats, one per table, not groups.
        check().map_err(|p| {
            let mut e = p.into_error(text, source_name);
            e.message = e.message.replace("[[agents]] group ", "[[agents]] seat ");
            e
        })
    }

    /// The first rule of the format this scenario breaks, in file order.
    fn check(&self) -> Result<(), Problem> {
        self.check_meta()?;
        self.check_arrivals()?;
        self.check_queues()?;
        self.check_agents()?;
        self.check_intents()?;
        check_bank(&self.agent_lines, &[K("agent_lines")], "[agent_lines]")?;
        self.check_rules()?;
        self.check_cards()?;
        self.check_thresholds()?;
        self.check_tickets()?;
        self.check_survey()?;
        self.check_behaviour()?;
        self.check_verification()?;
        self.check_repeat()?;
        self.check_edu()?;
        self.check_dialects()?;
        self.check_orders()
    }

    fn check_survey(&self) -> Result<(), Problem> {
        check_share(self.survey.share, &[K("survey"), K("share")], "[survey] share")?;
        if !(1..=4).contains(&self.survey.bad_score) {
            return Err(problem(
                &[K("survey"), K("bad_score")],
                format!(
                    "[survey] bad_score = {} is outside 1..4: scores run from 1 to 5, and scores at or below \
                     bad_score open a follow-up ticket",
                    self.survey.bad_score
                ),
            ));
        }
        check_nonzero(self.survey.followup_min, &[K("survey"), K("followup_min")], "[survey] followup_min", "minutes")
    }

    fn check_meta(&self) -> Result<(), Problem> {
        let m = &self.scenario;
        check_not_blank(&m.id, &[K("scenario"), K("id")], "[scenario] id")?;
        check_not_blank(&m.title, &[K("scenario"), K("title")], "[scenario] title")?;
        check_time(m.start, &[K("scenario"), K("start")], "[scenario] start", false)?;
        check_share(m.zh_share, &[K("scenario"), K("zh_share")], "[scenario] zh_share")
    }

    fn check_arrivals(&self) -> Result<(), Problem> {
        let a = &self.arrivals;
        check_positive(
            a.base_per_hour,
            &[K("arrivals"), K("base_per_hour")],
            "[arrivals] base_per_hour",
            "calls per hour",
        )?;
        let mut windows: Vec<(TimeOfDay, TimeOfDay)> = Vec::new();
        for (n, p) in a.peaks.iter().enumerate() {
            let at = [K("arrivals"), K("peaks"), I(n)];
            let what = peak_label(n);
            let from = check_time(p.from, &join(&at, K("from")), &format!("{what} from"), false)?;
            let to = check_time(p.to, &join(&at, K("to")), &format!("{what} to"), true)?;
            if from >= to {
                return Err(problem(
                    &join(&at, K("from")),
                    format!(
                        "{what} runs from \"{}\" to \"{}\": from must be earlier than to (a window cannot cross \
                         midnight; split it in two)",
                        p.from, p.to
                    ),
                ));
            }
            if let Some(other) = windows.iter().position(|&(f, t)| from < t && f < to) {
                return Err(problem(
                    &join(&at, K("from")),
                    format!(
                        "{what} (\"{}\" to \"{}\") overlaps peak {}: only one multiplier applies at a time, so make \
                         the windows disjoint",
                        p.from,
                        p.to,
                        other + 1
                    ),
                ));
            }
            windows.push((from, to));
            check_positive(
                p.multiplier,
                &join(&at, K("multiplier")),
                &format!("{what} multiplier"),
                "times the base rate",
            )?;
        }
        Ok(())
    }

    fn check_queues(&self) -> Result<(), Problem> {
        if self.queues.is_empty() {
            return Err(problem(&[K("queues")], "the scenario has no [[queues]]: add at least one"));
        }
        check_unique(self.queues.iter().map(|q| q.id.as_str()), "queues", "[[queues]]")?;
        for (n, q) in self.queues.iter().enumerate() {
            let at = [K("queues"), I(n)];
            let what = label("[[queues]]", &q.id, n);
            check_not_blank(&q.id, &join(&at, K("id")), &format!("{what} id"))?;
            check_not_blank(&q.name, &join(&at, K("name")), &format!("{what} name"))?;
            if q.priority > 9 {
                return Err(problem(
                    &join(&at, K("priority")),
                    format!(
                        "{what} priority = {} is above 9: base priorities run 0..9 (urgent rule hits lift a call to \
                         10 and above)",
                        q.priority
                    ),
                ));
            }
            if !(q.sla_percent.is_finite() && q.sla_percent > 0.0 && q.sla_percent <= 100.0) {
                return Err(problem(
                    &join(&at, K("sla_percent")),
                    format!(
                        "{what} sla_percent = {} is not a percentage: give a number above 0 and at most 100 \
                         (80 means 80% answered within sla_seconds)",
                        q.sla_percent
                    ),
                ));
            }
            check_nonzero(q.sla_seconds, &join(&at, K("sla_seconds")), &format!("{what} sla_seconds"), "seconds")?;
            if let Some(j) = q.skills.iter().position(|s| s.trim().is_empty()) {
                return Err(problem(&join3(&at, K("skills"), I(j)), format!("{what} skills has a blank entry")));
            }
        }
        Ok(())
    }

    fn check_agents(&self) -> Result<(), Problem> {
        if self.agents.is_empty() {
            return Err(problem(&[K("agents")], "the scenario has no [[agents]]: add at least one seat group"));
        }
        let mut seen_names: Vec<(&str, usize)> = Vec::new();
        for (n, g) in self.agents.iter().enumerate() {
            let at = [K("agents"), I(n)];
            let what = group_label(n);
            check_nonzero(g.count, &join(&at, K("count")), &format!("{what} count"), "seats")?;
            for (j, name) in g.names.iter().enumerate() {
                let name_at = join3(&at, K("names"), I(j));
                check_not_blank(name, &name_at, &format!("{what} names entry {}", j + 1))?;
                if let Some(&(_, other)) = seen_names.iter().find(|(s, _)| *s == name.as_str()) {
                    return Err(problem(
                        &name_at,
                        format!(
                            "{what} names seat '{name}', which [[agents]] group {} names too: give each seat its \
                             own name",
                            other + 1
                        ),
                    ));
                }
                seen_names.push((name, n));
            }
            if g.queues.is_empty() {
                return Err(problem(
                    &join(&at, K("queues")),
                    format!("{what} queues is empty: name the queues it serves"),
                ));
            }
            for (j, q) in g.queues.iter().enumerate() {
                if !self.queues.iter().any(|x| &x.id == q) {
                    return Err(problem(
                        &join3(&at, K("queues"), I(j)),
                        format!(
                            "{what} serves queue '{q}', which no [[queues]] entry defines (defined: {})",
                            self.queue_ids()
                        ),
                    ));
                }
                if g.queues[..j].contains(q) {
                    return Err(problem(
                        &join3(&at, K("queues"), I(j)),
                        format!("{what} lists queue '{q}' twice in queues"),
                    ));
                }
            }
            if g.langs.is_empty() {
                return Err(problem(
                    &join(&at, K("langs")),
                    format!("{what} langs is empty: give the languages its seats speak, e.g. [\"zh\", \"en\"]"),
                ));
            }
            if let Some(shift) = &g.shift {
                let from =
                    check_time(shift.from, &join3(&at, K("shift"), K("from")), &format!("{what} shift from"), false)?;
                let to = check_time(shift.to, &join3(&at, K("shift"), K("to")), &format!("{what} shift to"), true)?;
                if from >= to {
                    return Err(problem(
                        &join(&at, K("shift")),
                        format!(
                            "{what} shift runs from \"{}\" to \"{}\": from must be earlier than to (a shift cannot \
                             cross midnight; use two groups)",
                            shift.from, shift.to
                        ),
                    ));
                }
            }
            if !(g.answer_rate.is_finite() && g.answer_rate > 0.0 && g.answer_rate <= 1.0) {
                return Err(problem(
                    &join(&at, K("answer_rate")),
                    format!(
                        "{what} answer_rate = {} is not a chance above 0 and at most 1 (0.98 means 98% of ringing \
                         calls are picked up)",
                        g.answer_rate
                    ),
                ));
            }
        }
        for (n, q) in self.queues.iter().enumerate() {
            if !self.agents.iter().any(|g| g.queues.contains(&q.id)) {
                return Err(problem(
                    &[K("queues"), I(n), K("id")],
                    format!(
                        "queue '{}' is served by no [[agents]] group: add it to the queues of a group, or remove it",
                        q.id
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_intents(&self) -> Result<(), Problem> {
        if self.intents.is_empty() {
            return Err(problem(&[K("intents")], "the scenario has no [[intents]]: add at least one"));
        }
        check_unique(self.intents.iter().map(|i| i.id.as_str()), "intents", "[[intents]]")?;
        for (n, i) in self.intents.iter().enumerate() {
            let at = [K("intents"), I(n)];
            let what = label("[[intents]]", &i.id, n);
            check_not_blank(&i.id, &join(&at, K("id")), &format!("{what} id"))?;
            if !self.queues.iter().any(|q| q.id == i.queue) {
                return Err(problem(
                    &join(&at, K("queue")),
                    format!(
                        "intent '{}' sends calls to queue '{}', which no [[queues]] entry defines (defined: {})",
                        i.id,
                        i.queue,
                        self.queue_ids()
                    ),
                ));
            }
            for (lang, share) in [(Lang::Zh, self.scenario.zh_share), (Lang::En, 1.0 - self.scenario.zh_share)] {
                let served = self.agents.iter().any(|g| g.queues.contains(&i.queue) && g.langs.contains(&lang));
                if share > 0.0 && !served {
                    return Err(problem(
                        &join(&at, K("queue")),
                        format!(
                            "intent '{}' sends {}-speaking callers to queue '{}', but no [[agents]] group serving \
                             '{}' speaks \"{}\": add it to the langs of such a group",
                            i.id,
                            lang.as_str(),
                            i.queue,
                            i.queue,
                            lang.as_str()
                        ),
                    ));
                }
            }
            check_positive(
                i.weight,
                &join(&at, K("weight")),
                &format!("{what} weight"),
                "the intent's relative share of arrivals",
            )?;
            check_dist(&i.handle, &join(&at, K("handle")), &format!("{what} handle"), Some("every call has to end"))?;
            check_dist(&i.patience, &join(&at, K("patience")), &format!("{what} patience"), None)?;
            check_range(i.mood, -1.0, 1.0, &join(&at, K("mood")), &format!("{what} mood"))?;
            check_range(i.drift, -1.0, 1.0, &join(&at, K("drift")), &format!("{what} drift"))?;
            check_bank(&i.lines, &join(&at, K("lines")), &format!("{what} lines"))?;
            if let Some(bank) = &i.agent_lines {
                let bank_at = join(&at, K("agent_lines"));
                let bank_what = format!("{what} agent_lines");
                check_bank(bank, &bank_at, &bank_what)?;
                check_bank_langs(bank, &bank_at, &bank_what)?;
            }
            if let Some(t) = &i.ticket {
                check_not_blank(
                    &t.category,
                    &join3(&at, K("ticket"), K("category")),
                    &format!("{what} ticket category"),
                )?;
            }
        }
        Ok(())
    }

    fn check_rules(&self) -> Result<(), Problem> {
        check_unique(self.rules.iter().map(|r| r.id.as_str()), "rules", "[[rules]]")?;
        for (n, r) in self.rules.iter().enumerate() {
            let at = [K("rules"), I(n)];
            let what = label("[[rules]]", &r.id, n);
            check_not_blank(&r.id, &join(&at, K("id")), &format!("{what} id"))?;
            if r.words.is_empty() {
                return Err(problem(
                    &join(&at, K("words")),
                    format!("{what} words is empty: give the words or phrases that trigger it"),
                ));
            }
            for (j, w) in r.words.iter().enumerate() {
                let word_at = join3(&at, K("words"), I(j));
                check_not_blank(w, &word_at, &format!("{what} words entry {}", j + 1))?;
                if r.lang == Some(Lang::En) && has_cjk(w) {
                    return Err(problem(
                        &word_at,
                        format!(
                            "{what} matches English lines only (lang = \"en\"), so its Chinese word '{w}' can never \
                             match: remove lang or the word"
                        ),
                    ));
                }
            }
            if r.actions.is_empty() {
                return Err(problem(
                    &join(&at, K("actions")),
                    format!("{what} actions is empty: give one or more of priority, alert, flag, ticket, suggest"),
                ));
            }
            for (j, a) in r.actions.iter().enumerate() {
                if r.actions[..j].contains(a) {
                    return Err(problem(
                        &join3(&at, K("actions"), I(j)),
                        format!("{what} lists the action '{}' twice", a.as_str()),
                    ));
                }
            }
            if r.ticket_priority.is_some() && !r.actions.contains(&RuleAction::Ticket) {
                return Err(problem(
                    &join(&at, K("ticket_priority")),
                    format!(
                        "{what} has ticket_priority but no \"ticket\" among its actions, so it never opens a ticket: \
                         add \"ticket\" to actions or remove ticket_priority"
                    ),
                ));
            }
            if let Some(c) = &r.ticket_category {
                check_not_blank(c, &join(&at, K("ticket_category")), &format!("{what} ticket_category"))?;
                if !r.actions.contains(&RuleAction::Ticket) {
                    return Err(problem(
                        &join(&at, K("ticket_category")),
                        format!(
                            "{what} has ticket_category = \"{c}\" but no \"ticket\" among its actions, so it never \
                             opens a ticket: add \"ticket\" to actions or remove ticket_category"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_thresholds(&self) -> Result<(), Problem> {
        let t = &self.thresholds;
        let at = |key| [K("thresholds"), K(key)];
        let sl = t.service_level;
        check_range(sl.warn, 0.0, 1.0, &join(&at("service_level"), K("warn")), "[thresholds] service_level warn")?;
        check_range(sl.crit, 0.0, 1.0, &join(&at("service_level"), K("crit")), "[thresholds] service_level crit")?;
        check_order(sl, false, &at("service_level"), "[thresholds] service_level", "a lower service level is worse")?;
        let lw = t.long_wait_s;
        check_positive(lw.warn, &join(&at("long_wait_s"), K("warn")), "[thresholds] long_wait_s warn", "seconds")?;
        check_positive(lw.crit, &join(&at("long_wait_s"), K("crit")), "[thresholds] long_wait_s crit", "seconds")?;
        check_order(lw, true, &at("long_wait_s"), "[thresholds] long_wait_s", "a longer wait is worse")?;
        let ab = t.abandon_rate;
        check_range(ab.warn, 0.0, 1.0, &join(&at("abandon_rate"), K("warn")), "[thresholds] abandon_rate warn")?;
        check_range(ab.crit, 0.0, 1.0, &join(&at("abandon_rate"), K("crit")), "[thresholds] abandon_rate crit")?;
        check_order(ab, true, &at("abandon_rate"), "[thresholds] abandon_rate", "a higher abandon rate is worse")?;
        let ns = t.negative_sentiment;
        let ns_at = at("negative_sentiment");
        check_range(ns.warn, -1.0, 1.0, &join(&ns_at, K("warn")), "[thresholds] negative_sentiment warn")?;
        check_range(ns.crit, -1.0, 1.0, &join(&ns_at, K("crit")), "[thresholds] negative_sentiment crit")?;
        check_order(ns, false, &ns_at, "[thresholds] negative_sentiment", "a more negative sentiment is worse")?;
        if t.retrigger_s == 0 {
            return Err(problem(
                &at("retrigger_s"),
                "[thresholds] retrigger_s = 0 would raise the same alert on every tick: give the floor-seconds \
                 between repeats, e.g. 600",
            ));
        }
        if t.retrigger_s > 86_400 {
            return Err(problem(
                &at("retrigger_s"),
                "[thresholds] retrigger_s is more than a day: give the floor-seconds between repeats, e.g. 600",
            ));
        }
        if t.window_min > 1440 {
            return Err(problem(
                &at("window_min"),
                "[thresholds] window_min is more than a day: metrics windows are minutes long, e.g. 15",
            ));
        }
        check_nonzero(t.window_min, &at("window_min"), "[thresholds] window_min", "floor-minutes")
    }

    fn check_tickets(&self) -> Result<(), Problem> {
        let t = &self.tickets;
        let d = t.due_min;
        let due = [("urgent", d.urgent), ("high", d.high), ("normal", d.normal), ("low", d.low)];
        for (key, v) in due {
            check_nonzero(v, &[K("tickets"), K("due_min"), K(key)], &format!("[tickets] due_min {key}"), "minutes")?;
        }
        for pair in due.windows(2) {
            if let [(k1, v1), (k2, v2)] = pair
                && v1 > v2
            {
                return Err(problem(
                    &[K("tickets"), K("due_min"), K(k2)],
                    format!(
                        "[tickets] due_min gives {k1} tickets {v1} minutes but {k2} tickets only {v2}: a more \
                         urgent priority must be due no later"
                    ),
                ));
            }
        }
        check_dist(&t.backoffice, &[K("tickets"), K("backoffice")], "[tickets] backoffice", None)?;
        check_nonzero(
            t.escalation_extends_min,
            &[K("tickets"), K("escalation_extends_min")],
            "[tickets] escalation_extends_min",
            "minutes",
        )?;
        check_nonzero(t.max_level, &[K("tickets"), K("max_level")], "[tickets] max_level", "escalation levels")?;
        check_range(
            t.negative_end_sentiment,
            -1.0,
            1.0,
            &[K("tickets"), K("negative_end_sentiment")],
            "[tickets] negative_end_sentiment",
        )
    }

    fn check_behaviour(&self) -> Result<(), Problem> {
        let b = &self.behaviour;
        let at = |key| [K("behaviour"), K(key)];
        let ends = Some("it has to end for the call to go on");
        check_dist(&b.ivr, &at("ivr"), "[behaviour] ivr", ends)?;
        check_nonzero(b.ring_timeout_s, &at("ring_timeout_s"), "[behaviour] ring_timeout_s", "seconds")?;
        check_dist(&b.answer_delay, &at("answer_delay"), "[behaviour] answer_delay", ends)?;
        if let Some(mean) = b.answer_delay.mean()
            && mean >= f64::from(b.ring_timeout_s)
        {
            return Err(problem(
                &at("answer_delay"),
                format!(
                    "[behaviour] answer_delay averages {mean} s but calls ring out after ring_timeout_s = {} s, so \
                     most calls would never be answered: shorten the delay or lengthen the timeout",
                    b.ring_timeout_s
                ),
            ));
        }
        check_nonzero(b.max_no_answer, &at("max_no_answer"), "[behaviour] max_no_answer", "ring-outs")?;
        check_dist(&b.wrap_up, &at("wrap_up"), "[behaviour] wrap_up", ends)?;
        check_dist(&b.line_gap, &at("line_gap"), "[behaviour] line_gap", ends)?;
        if b.line_gap.mean().is_some_and(|m| m <= 0.0) {
            return Err(problem(
                &at("line_gap"),
                "[behaviour] line_gap averages 0 s: conversations need time between lines, e.g. uniform 6..16 s",
            ));
        }
        check_dist(&b.break_every, &at("break_every"), "[behaviour] break_every", None)?;
        check_dist(&b.break_length, &at("break_length"), "[behaviour] break_length", Some("every break has to end"))?;
        check_share(b.hold_share, &at("hold_share"), "[behaviour] hold_share")?;
        check_dist(&b.hold_length, &at("hold_length"), "[behaviour] hold_length", Some("every hold has to end"))?;
        check_dist(&b.callback_after, &at("callback_after"), "[behaviour] callback_after", None)
    }

    fn queue_ids(&self) -> String {
        self.queues.iter().map(|q| q.id.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// A rule of the format that a scenario breaks: where (the key path) and what (one sentence).
#[derive(Debug)]
pub(super) struct Problem {
    at: Vec<Step>,
    message: String,
}

impl Problem {
    /// The error a user sees: the file, the line of the key (found from the spans the TOML parser records), and
    /// the sentence.
    pub(super) fn into_error(self, text: &str, source_name: &str) -> ScenarioError {
        ScenarioError {
            source_name: source_name.to_string(),
            line: locate::locate(text, &self.at),
            message: self.message,
        }
    }
}

fn problem(at: &[Step], message: impl Into<String>) -> Problem {
    Problem { at: at.to_vec(), message: message.into() }
}

fn join(at: &[Step], step: Step) -> Vec<Step> {
    let mut v = at.to_vec();
    v.push(step);
    v
}

fn join3(at: &[Step], a: Step, b: Step) -> Vec<Step> {
    let mut v = at.to_vec();
    v.extend([a, b]);
    v
}

/// How an entry of an array of tables is named in messages: by its id, or by its position when the id is blank.
fn label(table: &str, id: &str, n: usize) -> String {
    if id.trim().is_empty() { format!("{table} entry {}", n + 1) } else { format!("{table} '{id}'") }
}

fn check_unique<'a>(ids: impl Iterator<Item = &'a str>, key: &'static str, table: &str) -> Result<(), Problem> {
    let mut seen: Vec<&str> = Vec::new();
    for (n, id) in ids.enumerate() {
        if let Some(first) = seen.iter().position(|s| *s == id) {
            return Err(problem(
                &[K(key), I(n), K("id")],
                format!("{table} entries {} and {} both have id = \"{id}\": ids must be unique", first + 1, n + 1),
            ));
        }
        seen.push(id);
    }
    Ok(())
}

fn check_not_blank(s: &str, at: &[Step], what: &str) -> Result<(), Problem> {
    if s.trim().is_empty() {
        return Err(problem(at, format!("{what} is blank: give it some text")));
    }
    Ok(())
}

fn check_share(v: f64, at: &[Step], what: &str) -> Result<(), Problem> {
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        return Err(problem(at, format!("{what} = {v} is not a share: give a number from 0 to 1 (0.4 means 40%)")));
    }
    Ok(())
}

fn check_range(v: f64, lo: f64, hi: f64, at: &[Step], what: &str) -> Result<(), Problem> {
    if !(v.is_finite() && (lo..=hi).contains(&v)) {
        return Err(problem(at, format!("{what} = {v} is outside {lo}..{hi}")));
    }
    Ok(())
}

fn check_positive(v: f64, at: &[Step], what: &str, meaning: &str) -> Result<(), Problem> {
    if !(v.is_finite() && v > 0.0) {
        return Err(problem(at, format!("{what} = {v} must be a positive, finite number ({meaning})")));
    }
    Ok(())
}

fn check_nonzero<T: Into<u64> + Copy>(v: T, at: &[Step], what: &str, unit: &str) -> Result<(), Problem> {
    if v.into() == 0 {
        return Err(problem(at, format!("{what} = 0: give a positive number of {unit}")));
    }
    Ok(())
}

/// `crit` must be no better than `warn`; `higher_is_worse` says which way is worse.
fn check_order(l: Level, higher_is_worse: bool, at: &[Step], what: &str, why: &str) -> Result<(), Problem> {
    let consistent = if higher_is_worse { l.crit >= l.warn } else { l.crit <= l.warn };
    if !consistent {
        let side = if higher_is_worse { "at or above" } else { "at or below" };
        return Err(problem(
            &join(at, K("crit")),
            format!("{what} has crit = {} and warn = {}: {why}, so crit must be {side} warn", l.crit, l.warn),
        ));
    }
    Ok(())
}

/// Checks a distribution's parameters. `refuse_infinite` gives the reason when `infinite` makes no sense here.
fn check_dist(d: &Dist, at: &[Step], what: &str, refuse_infinite: Option<&str>) -> Result<(), Problem> {
    let param = |key: &'static str, v: f64, zero_ok: bool| -> Result<(), Problem> {
        let ok = v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0));
        if !ok {
            let kind =
                if zero_ok { "a finite number of seconds, 0 or more" } else { "a positive, finite number of seconds" };
            return Err(problem(&join(at, K(key)), format!("{what}: {key} = {v} must be {kind}")));
        }
        Ok(())
    };
    match *d {
        Dist::Fixed { s } => param("s", s, true),
        Dist::Uniform { min_s, max_s } => {
            param("min_s", min_s, true)?;
            param("max_s", max_s, true)?;
            if min_s > max_s {
                return Err(problem(
                    &join(at, K("min_s")),
                    format!("{what}: uniform min_s = {min_s} is above max_s = {max_s}: swap them"),
                ));
            }
            Ok(())
        }
        Dist::Exponential { mean_s } => param("mean_s", mean_s, false),
        Dist::Lognormal { mean_s, sd_s } => {
            param("mean_s", mean_s, false)?;
            param("sd_s", sd_s, false)
        }
        Dist::Infinite => match refuse_infinite {
            Some(why) => Err(problem(&join(at, K("dist")), format!("{what} cannot be infinite: {why}"))),
            None => Ok(()),
        },
    }
}

/// Every language and mood needs at least one non-blank line: the simulator draws from each.
fn check_bank(bank: &Bank, at: &[Step], what: &str) -> Result<(), Problem> {
    for lang in [Lang::Zh, Lang::En] {
        let lines = bank.lang(lang);
        for (mood, list) in [("positive", &lines.positive), ("neutral", &lines.neutral), ("negative", &lines.negative)]
        {
            let mood_at = join3(at, K(lang.as_str()), K(mood));
            if list.is_empty() {
                return Err(problem(
                    &mood_at,
                    format!(
                        "{what} {}.{mood} has no lines: add at least one (a line is drawn from it whenever the mood \
                         is {mood})",
                        lang.as_str()
                    ),
                ));
            }
            if let Some(j) = list.iter().position(|l| l.trim().is_empty()) {
                return Err(problem(
                    &join(&mood_at, I(j)),
                    format!("{what} {}.{mood} line {} is blank", lang.as_str(), j + 1),
                ));
            }
        }
    }
    Ok(())
}

/// Every `zh` line of the bank holds Chinese and no `en` line does, so the analyser reads each line in the language
/// of the callers it is said to.
fn check_bank_langs(bank: &Bank, at: &[Step], what: &str) -> Result<(), Problem> {
    for lang in [Lang::Zh, Lang::En] {
        let lines = bank.lang(lang);
        for (mood, list) in [("positive", &lines.positive), ("neutral", &lines.neutral), ("negative", &lines.negative)]
        {
            if let Some((j, line)) = list.iter().enumerate().find(|(_, l)| has_cjk(l) != (lang == Lang::Zh)) {
                let fix = match lang {
                    Lang::Zh => {
                        "it holds no Chinese, but zh lines are said to Chinese-speaking callers: write it in \
                                 Chinese or move it to en"
                    }
                    Lang::En => {
                        "it holds Chinese, but en lines are said to English-speaking callers: write it in \
                                 English or move it to zh"
                    }
                };
                return Err(problem(
                    &join(&join3(at, K(lang.as_str()), K(mood)), I(j)),
                    format!("{what} {}.{mood} line {} ({line:?}): {fix}", lang.as_str(), j + 1),
                ));
            }
        }
    }
    Ok(())
}

/// Whether the text holds CJK ideographs (the analyser then reads it as Chinese).
pub fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A time of day where `24:00` is allowed only when `end_ok` (the end of a window); serde has read the rest.
fn check_time(t: TimeOfDay, at: &[Step], what: &str, end_ok: bool) -> Result<TimeOfDay, Problem> {
    if !end_ok && t == TimeOfDay::END_OF_DAY {
        return Err(problem(at, not_a_time(what, &t.to_string(), end_ok)));
    }
    Ok(t)
}

/// How a peak window is named in messages.
fn peak_label(n: usize) -> String {
    format!("[arrivals] peak {}", n + 1)
}

/// How a seat group is named in messages.
fn group_label(n: usize) -> String {
    format!("[[agents]] group {}", n + 1)
}

/// A time of day that serde refused at byte `offset` of `text`, as the problem the validator reports for a time
/// that is out of place: naming its key and the range allowed there. `None` when no time-of-day key holds a
/// string that is not a time there (serde's own message then stands).
pub(super) fn bad_time(text: &str, offset: usize) -> Option<Problem> {
    let found = locate::string_at(text, offset)?;
    if found.value.parse::<TimeOfDay>().is_ok() {
        return None;
    }
    let static_key = |k: &str| if k == "to" { "to" } else { "from" };
    let (at, what, end_ok) = match found.path()[..] {
        [K("scenario"), K("start")] => (vec![K("scenario"), K("start")], "[scenario] start".to_string(), false),
        [K("arrivals"), K("peaks"), I(n), K(k @ ("from" | "to"))] => {
            (vec![K("arrivals"), K("peaks"), I(n), K(static_key(k))], format!("{} {k}", peak_label(n)), k == "to")
        }
        [K("agents"), I(n), K("shift"), K(k @ ("from" | "to"))] => {
            (vec![K("agents"), I(n), K("shift"), K(static_key(k))], format!("{} shift {k}", group_label(n)), k == "to")
        }
        [K("temporary_seats"), K("plan"), I(n), K(k @ ("at" | "until"))] => {
            let key = if k == "at" { "at" } else { "until" };
            let what = format!("[[temporary_seats.plan]] entry {} {k}", n + 1);
            (vec![K("temporary_seats"), K("plan"), I(n), K(key)], what, k == "until")
        }
        _ => return None,
    };
    Some(problem(&at, not_a_time(&what, &found.value, end_ok)))
}

impl Scenario {
    /// `[verification]`, intents' `verification` and rules' `requires_verification`.
    fn check_verification(&self) -> Result<(), Problem> {
        if let Some(v) = &self.verification {
            let at = [K("verification")];
            check_shares(&v.shares, &join(&at, K("shares")), "[verification] shares")?;
            check_dist(
                &v.agent_after,
                &join(&at, K("agent_after")),
                "[verification] agent_after",
                Some(
                    "agents look at a second confirmation sooner or later; set agent_decides = 0 to leave them all to supervisors",
                ),
            )?;
            check_share(v.agent_decides, &join(&at, K("agent_decides")), "[verification] agent_decides")?;
            check_share(v.agent_accepts, &join(&at, K("agent_accepts")), "[verification] agent_accepts")?;
        }
        for (n, i) in self.intents.iter().enumerate() {
            let Some(shares) = &i.verification else { continue };
            let at = [K("intents"), I(n), K("verification")];
            let what = format!("{} verification", label("[[intents]]", &i.id, n));
            if self.verification.is_none() {
                return Err(problem(
                    &at,
                    format!(
                        "{what} is set but the scenario has no [verification] table: add one (it says how agents settle second confirmations) or remove the key"
                    ),
                ));
            }
            check_shares(shares, &at, &what)?;
        }
        for (n, r) in self.rules.iter().enumerate() {
            if r.requires_verification && self.verification.is_none() {
                return Err(problem(
                    &[K("rules"), I(n), K("requires_verification")],
                    format!(
                        "{} has requires_verification = true but the scenario has no [verification] table, so no \
                         call is ever verified: add [verification] or remove the key",
                        label("[[rules]]", &r.id, n)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `[repeat]`: shares and the delay.
    fn check_repeat(&self) -> Result<(), Problem> {
        let r = &self.repeat;
        let at = [K("repeat")];
        check_share(r.after_abandon, &join(&at, K("after_abandon")), "[repeat] after_abandon")?;
        check_share(r.after_ticket, &join(&at, K("after_ticket")), "[repeat] after_ticket")?;
        check_share(r.after_call, &join(&at, K("after_call")), "[repeat] after_call")?;
        check_dist(
            &r.delay,
            &join(&at, K("delay")),
            "[repeat] delay",
            Some("a caller who never calls again is a share of 0"),
        )
    }
}

/// Each share 0..1, together at most 1 (the rest stay unverified).
fn check_shares(s: &super::schema::VerificationShares, at: &[Step], what: &str) -> Result<(), Problem> {
    check_share(s.otp, &join(at, K("otp")), &format!("{what} otp"))?;
    check_share(s.voiceprint, &join(at, K("voiceprint")), &format!("{what} voiceprint"))?;
    check_share(s.failed, &join(at, K("failed")), &format!("{what} failed"))?;
    let sum = s.otp + s.voiceprint + s.failed;
    if sum > 1.0 + 1e-9 {
        return Err(problem(
            at,
            format!(
                "{what} add up to {sum}: otp, voiceprint and failed are shares of the same callers, so together they \
                 can be at most 1 (the rest stay unverified)"
            ),
        ));
    }
    Ok(())
}

impl Scenario {
    /// `[[students]]`, `[student_calls]`, `[temporary_seats]` and `[callbacks]`.
    fn check_edu(&self) -> Result<(), Problem> {
        self.check_students()?;
        self.check_temporary_seats()?;
        self.check_callbacks()
    }

    fn check_students(&self) -> Result<(), Problem> {
        check_unique(self.students.iter().map(|s| s.id.as_str()), "students", "[[students]]")?;
        for (n, s) in self.students.iter().enumerate() {
            let at = [K("students"), I(n)];
            let what = label("[[students]]", &s.id, n);
            check_not_blank(&s.id, &join(&at, K("id")), &format!("{what} id"))?;
            check_not_blank(&s.name, &join(&at, K("name")), &format!("{what} name"))?;
            check_not_blank(&s.class, &join(&at, K("class")), &format!("{what} class"))?;
            if s.contacts.is_empty() {
                return Err(problem(
                    &join(&at, K("contacts")),
                    format!("{what} has no contacts: give at least one {{ role = \"parent\", number = \"...\" }}"),
                ));
            }
            for (j, c) in s.contacts.iter().enumerate() {
                let c_at = [K("students"), I(n), K("contacts"), I(j), K("number")];
                check_not_blank(&c.number, &c_at, &format!("{what} contact {} number", j + 1))?;
                if s.contacts[..j].iter().any(|o| o.number == c.number) {
                    return Err(problem(
                        &c_at,
                        format!("{what} lists number \"{}\" twice: each contact calls from their own number", c.number),
                    ));
                }
            }
        }
        if let Some(sc) = &self.student_calls {
            let at = [K("student_calls")];
            check_share(sc.caller_share, &join(&at, K("caller_share")), "[student_calls] caller_share")?;
            if self.students.is_empty() && sc.caller_share > 0.0 {
                return Err(problem(
                    &join(&at, K("caller_share")),
                    "[student_calls] caller_share is above 0 but there are no [[students]]: add student records or \
                     remove [student_calls]",
                ));
            }
            for (j, i) in sc.intents.iter().enumerate() {
                if !self.intents.iter().any(|x| &x.id == i) {
                    let defined: Vec<&str> = self.intents.iter().map(|x| x.id.as_str()).collect();
                    return Err(problem(
                        &join3(&at, K("intents"), I(j)),
                        format!(
                            "[student_calls] intents names '{i}', which no [[intents]] entry defines (defined: {})",
                            defined.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_temporary_seats(&self) -> Result<(), Problem> {
        let t = &self.temporary_seats;
        let at = [K("temporary_seats")];
        for (j, q) in t.cannot_transfer_to.iter().enumerate() {
            if !self.queues.iter().any(|x| &x.id == q) {
                return Err(problem(
                    &join3(&at, K("cannot_transfer_to"), I(j)),
                    format!(
                        "[temporary_seats] cannot_transfer_to names queue '{q}', which no [[queues]] entry defines \
                         (defined: {})",
                        self.queue_ids()
                    ),
                ));
            }
        }
        for (j, name) in t.names.iter().enumerate() {
            check_not_blank(name, &join3(&at, K("names"), I(j)), &format!("[temporary_seats] names entry {}", j + 1))?;
        }
        if !(t.answer_rate.is_finite() && t.answer_rate > 0.0 && t.answer_rate <= 1.0) {
            return Err(problem(
                &join(&at, K("answer_rate")),
                format!(
                    "[temporary_seats] answer_rate = {} is not a chance above 0 and at most 1 (0.95 means 95% of \
                     ringing calls are picked up)",
                    t.answer_rate
                ),
            ));
        }
        for (n, p) in t.plan.iter().enumerate() {
            let p_at = [K("temporary_seats"), K("plan"), I(n)];
            let what = format!("[[temporary_seats.plan]] entry {}", n + 1);
            if !self.queues.iter().any(|x| x.id == p.queue) {
                return Err(problem(
                    &join(&p_at, K("queue")),
                    format!(
                        "{what} adds seats to queue '{}', which no [[queues]] entry defines (defined: {})",
                        p.queue,
                        self.queue_ids()
                    ),
                ));
            }
            if !(1..=crate::model::ADD_SEATS_MAX).contains(&p.count) {
                return Err(problem(
                    &join(&p_at, K("count")),
                    format!("{what} count = {} is outside 1..{}", p.count, crate::model::ADD_SEATS_MAX),
                ));
            }
            let from = check_time(p.at, &join(&p_at, K("at")), &format!("{what} at"), false)?;
            let to = check_time(p.until, &join(&p_at, K("until")), &format!("{what} until"), true)?;
            if from >= to {
                return Err(problem(
                    &join(&p_at, K("until")),
                    format!("{what} runs from \"{}\" to \"{}\": until must be later than at", p.at, p.until),
                ));
            }
            if let Some(j) = p.skills.iter().position(|s| s.trim().is_empty()) {
                return Err(problem(&join3(&p_at, K("skills"), I(j)), format!("{what} skills has a blank entry")));
            }
        }
        Ok(())
    }

    fn check_callbacks(&self) -> Result<(), Problem> {
        let c = &self.callbacks;
        let at = [K("callbacks")];
        if let Some(m) = c.promise_min {
            check_nonzero(m, &join(&at, K("promise_min")), "[callbacks] promise_min", "minutes")?;
        }
        check_share(c.reach_share, &join(&at, K("reach_share")), "[callbacks] reach_share")?;
        check_nonzero(c.ring_s, &join(&at, K("ring_s")), "[callbacks] ring_s", "seconds")?;
        check_nonzero(c.retry_after_min, &join(&at, K("retry_after_min")), "[callbacks] retry_after_min", "minutes")?;
        if !(1..=10).contains(&c.max_attempts) {
            return Err(problem(
                &join(&at, K("max_attempts")),
                format!("[callbacks] max_attempts = {} is outside 1..10", c.max_attempts),
            ));
        }
        Ok(())
    }
}

/// Reads the knowledge base `[scenario] knowledge` names (next to the scenario file in `dir`, else bundled). A base
/// that cannot be read or is malformed is refused at the `knowledge` key, with the base's own file and line.
pub(super) fn load_knowledge(
    scenario: &Scenario,
    text: &str,
    source_name: &str,
    dir: Option<&std::path::Path>,
) -> Result<Option<crate::kb::KnowledgeBase>, ScenarioError> {
    let Some(name) = scenario.scenario.knowledge.as_deref() else { return Ok(None) };
    let at = [K("scenario"), K("knowledge")];
    if name.trim().is_empty() {
        return Err(problem(
            &at,
            "[scenario] knowledge is blank: name a knowledge base file (kb/NAME.toml) or remove the key",
        )
        .into_error(text, source_name));
    }
    crate::kb::KnowledgeBase::resolve(name, dir).map(Some).map_err(|e| {
        problem(&at, format!("[scenario] knowledge = \"{name}\" cannot be used: {e}")).into_error(text, source_name)
    })
}

impl Scenario {
    /// `[[cards]]` and the rules that suggest them: unique ids, words in both languages, a use rate that is a share,
    /// and every `suggest` rule naming a card that exists (a `card` without `suggest` is refused, as it does nothing).
    fn check_cards(&self) -> Result<(), Problem> {
        check_unique(self.cards.iter().map(|c| c.id.as_str()), "cards", "[[cards]]")?;
        for (n, c) in self.cards.iter().enumerate() {
            let at = [K("cards"), I(n)];
            let what = label("[[cards]]", &c.id, n);
            check_not_blank(&c.id, &join(&at, K("id")), &format!("{what} id"))?;
            for (lang, t) in [("zh", &c.zh), ("en", &c.en)] {
                check_not_blank(&t.title, &join3(&at, K(lang), K("title")), &format!("{what} {lang}.title"))?;
                check_not_blank(&t.body, &join3(&at, K(lang), K("body")), &format!("{what} {lang}.body"))?;
            }
            check_share(c.use_rate, &join(&at, K("use_rate")), &format!("{what} use_rate"))?;
            if c.clause.is_some() && c.kind != crate::model::CardKind::Policy {
                return Err(problem(
                    &join(&at, K("clause")),
                    format!("{what} is a {} card with a clause: only policy cards quote a clause", c.kind.as_str()),
                ));
            }
        }
        for (n, r) in self.rules.iter().enumerate() {
            let at = [K("rules"), I(n)];
            let what = label("[[rules]]", &r.id, n);
            let suggests = r.actions.contains(&RuleAction::Suggest);
            match (&r.card, suggests) {
                (None, true) => {
                    return Err(problem(
                        &join(&at, K("actions")),
                        format!(
                            "{what} has the action \"suggest\" but no card: add card = \"ID\" naming one of [[cards]]"
                        ),
                    ));
                }
                (Some(card), false) => {
                    return Err(problem(
                        &join(&at, K("card")),
                        format!(
                            "{what} has card = \"{card}\" but no \"suggest\" among its actions, so it never suggests \
                             it: add \"suggest\" to actions or remove card"
                        ),
                    ));
                }
                (Some(card), true) if !self.cards.iter().any(|c| &c.id == card) => {
                    let ids: Vec<&str> = self.cards.iter().map(|c| c.id.as_str()).collect();
                    let known = if ids.is_empty() {
                        "the scenario has no [[cards]]".to_string()
                    } else {
                        format!("the cards are {}", ids.join(", "))
                    };
                    return Err(problem(
                        &join(&at, K("card")),
                        format!("{what} suggests card \"{card}\", which is not in [[cards]]: {known}"),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Every policy card's `clause` must be in the scenario's knowledge base.
pub(super) fn check_card_clauses(scenario: &Scenario, text: &str, source_name: &str) -> Result<(), ScenarioError> {
    for (n, c) in scenario.cards.iter().enumerate() {
        let Some(clause) = &c.clause else { continue };
        let at = [K("cards"), I(n), K("clause")];
        let what = label("[[cards]]", &c.id, n);
        let message = match &scenario.kb {
            None => format!(
                "{what} quotes clause \"{clause}\" but the scenario has no knowledge base: add [scenario] knowledge"
            ),
            Some(kb) if kb.clause(clause).is_none() => {
                format!("{what} quotes clause \"{clause}\", which is not in the knowledge base ({})", kb.kb.title)
            }
            Some(_) => continue,
        };
        return Err(problem(&at, message).into_error(text, source_name));
    }
    Ok(())
}

impl Scenario {
    /// `[dialects]` and the `dialects` of `[[agents]]` groups.
    fn check_dialects(&self) -> Result<(), Problem> {
        let Some(d) = &self.dialects else {
            if let Some((n, _)) = self.agents.iter().enumerate().find(|(_, g)| !g.dialects.is_empty()) {
                return Err(problem(
                    &[K("agents"), I(n), K("dialects")],
                    format!(
                        "{} lists dialects, but the scenario has no [dialects] table: add [[dialects.list]] \
                         entries for them, or remove the key",
                        group_label(n)
                    ),
                ));
            }
            return Ok(());
        };
        let at = [K("dialects")];
        if d.prefer_for_s > 3600 {
            return Err(problem(
                &join(&at, K("prefer_for_s")),
                format!(
                    "[dialects] prefer_for_s = {} is more than 3600: a caller should not wait over an hour for a \
                     dialect seat",
                    d.prefer_for_s
                ),
            ));
        }
        check_share(d.elderly_share, &join(&at, K("elderly_share")), "[dialects] elderly_share")?;
        if d.elderly_priority > 8 {
            return Err(problem(
                &join(&at, K("elderly_priority")),
                format!(
                    "[dialects] elderly_priority = {} is outside 0..8: it is added to the queue's priority, and \
                     urgent calls must stay ahead",
                    d.elderly_priority
                ),
            ));
        }
        let mut sum = 0.0;
        for (n, x) in d.list.iter().enumerate() {
            let x_at = [K("dialects"), K("list"), I(n)];
            let what = format!("[[dialects.list]] entry {}", n + 1);
            check_not_blank(&x.id, &join(&x_at, K("id")), &format!("{what} id"))?;
            if let Some(first) = d.list[..n].iter().position(|y| y.id == x.id) {
                return Err(problem(
                    &join(&x_at, K("id")),
                    format!(
                        "[[dialects.list]] entries {} and {} both have id = \"{}\": ids must be unique",
                        first + 1,
                        n + 1,
                        x.id
                    ),
                ));
            }
            check_not_blank(&x.name, &join(&x_at, K("name")), &format!("{what} name"))?;
            check_share(x.share, &join(&x_at, K("share")), &format!("{what} share"))?;
            sum += x.share;
        }
        if sum > 1.0 + 1e-9 {
            return Err(problem(
                &[K("dialects"), K("list")],
                format!(
                    "the [[dialects.list]] shares add up to {}: they are shares of the same (Chinese-speaking) \
                     callers, so together they can be at most 1",
                    (sum * 1000.0).round() / 1000.0
                ),
            ));
        }
        for (n, g) in self.agents.iter().enumerate() {
            for (j, id) in g.dialects.iter().enumerate() {
                if !d.list.iter().any(|x| &x.id == id) {
                    let ids: Vec<&str> = d.list.iter().map(|x| x.id.as_str()).collect();
                    return Err(problem(
                        &[K("agents"), I(n), K("dialects"), I(j)],
                        format!(
                            "{} handles dialect '{id}', which no [[dialects.list]] entry defines (defined: {})",
                            group_label(n),
                            if ids.is_empty() { "none".to_string() } else { ids.join(", ") }
                        ),
                    ));
                }
                if g.dialects[..j].contains(id) {
                    return Err(problem(
                        &[K("agents"), I(n), K("dialects"), I(j)],
                        format!("{} lists dialect '{id}' twice in dialects", group_label(n)),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Scenario {
    /// `[orders]`: an endpoint that can be called, or a table whose orders have known statuses.
    fn check_orders(&self) -> Result<(), Problem> {
        use crate::model::{ORDER_STATUSES, OrderSource};
        let Some(o) = &self.orders else { return Ok(()) };
        let at = [K("orders")];
        match (o.source, &o.url) {
            (OrderSource::Http, None) => {
                return Err(problem(
                    &join(&at, K("source")),
                    "[orders] source = \"http\" needs the endpoint: add url = \"http://…/orders?phone={caller}\"",
                ));
            }
            (OrderSource::Http, Some(url)) => {
                let u_at = join(&at, K("url"));
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(problem(&u_at, format!("[orders] url \"{url}\" must start with http:// or https://")));
                }
                if url.len() <= "https://".len() || url.split("://").nth(1).is_none_or(|r| r.starts_with(['/', '{'])) {
                    return Err(problem(&u_at, format!("[orders] url \"{url}\" names no host")));
                }
                if !url.contains("{caller}") {
                    return Err(problem(
                        &u_at,
                        format!(
                            "[orders] url \"{url}\" has no {{caller}}: put it where the caller's number goes, e.g. \
                             ?phone={{caller}}"
                        ),
                    ));
                }
            }
            (OrderSource::Table, Some(_)) => {
                return Err(problem(
                    &join(&at, K("url")),
                    "[orders] url is read only with source = \"http\": set the source, or remove url to use the \
                     [[orders.customers]] table",
                ));
            }
            (OrderSource::Table, None) => {}
        }
        if o.timeout_ms == 0 || o.timeout_ms > super::ORDERS_TIMEOUT_MS_MAX {
            return Err(problem(
                &join(&at, K("timeout_ms")),
                format!(
                    "[orders] timeout_ms = {} is outside 1..{}: a lookup must not keep a call waiting long",
                    o.timeout_ms,
                    super::ORDERS_TIMEOUT_MS_MAX
                ),
            ));
        }
        if let Some(name) = &o.token_env {
            let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(problem(
                    &join(&at, K("token_env")),
                    format!(
                        "[orders] token_env = \"{name}\" is not an environment variable name: name the variable \
                         holding the token (letters, digits, _), never the token itself"
                    ),
                ));
            }
        }
        check_share(o.caller_share, &join(&at, K("caller_share")), "[orders] caller_share")?;
        if o.customers.is_empty() && o.caller_share > 0.0 {
            return Err(problem(
                &join(&at, K("caller_share")),
                "[orders] caller_share is above 0 but there are no [[orders.customers]]: add customers or set it to 0",
            ));
        }
        for (n, c) in o.customers.iter().enumerate() {
            let c_at = [K("orders"), K("customers"), I(n)];
            let what = format!("[[orders.customers]] entry {}", n + 1);
            check_not_blank(&c.number, &join(&c_at, K("number")), &format!("{what} number"))?;
            if o.customers[..n].iter().any(|x| x.number == c.number) {
                return Err(problem(
                    &join(&c_at, K("number")),
                    format!("{what} repeats number \"{}\": list each customer once, with all their orders", c.number),
                ));
            }
            for (j, ord) in c.orders.iter().enumerate() {
                let o_at = [K("orders"), K("customers"), I(n), K("orders"), I(j)];
                let what = format!("{what} ({}) order {}", c.number, j + 1);
                check_not_blank(&ord.id, &join(&o_at, K("id")), &format!("{what} id"))?;
                check_not_blank(&ord.item, &join(&o_at, K("item")), &format!("{what} item"))?;
                if !ORDER_STATUSES.contains(&ord.status.as_str()) {
                    return Err(problem(
                        &join(&o_at, K("status")),
                        format!(
                            "{what} has status = \"{}\", which is not a status: use one of {}",
                            ord.status,
                            ORDER_STATUSES.join(", ")
                        ),
                    ));
                }
                if let Some(a) = ord.amount
                    && !(a.is_finite() && a >= 0.0)
                {
                    return Err(problem(
                        &join(&o_at, K("amount")),
                        format!("{what} amount = {a} is not an amount: give a number of 0 or more"),
                    ));
                }
            }
        }
        Ok(())
    }
}
