//! The `:kb` overlay's state: the floor's knowledge base (built once per scenario, on the first `:kb`), the last
//! search and where the user is in it.
//!
//! The console asks the engine (`query{kb}`), which searches its own scenario's base, so a floor from a scenario
//! file of one's own, or a remote one, has `:kb` too. An engine from before knowledge queries answers that it does
//! not know the query: then the console searches the base bundled in it named after the floor's scenario
//! (`gov-hotline`, `hospital`, `bank`).

use crate::kb::{Clause, Hit, Index, KnowledgeBase, Mark, Search};
use crate::model::KbAnswer;

/// Hits a `:kb` search shows at most.
pub const KB_HITS: usize = 50;

/// What the overlay shows.
#[derive(Debug, Clone, PartialEq)]
pub struct KbOverlay {
    pub query: String,
    /// The base's title, for the overlay's frame.
    pub title: String,
    pub search: Search,
    /// The selected hit.
    pub sel: usize,
    /// The clause opened with Enter, shown whole.
    pub open: Option<Clause>,
    /// The hits' clauses, whole (what Enter opens).
    pub clauses: Vec<Clause>,
    /// Lines the open clause is scrolled by.
    pub scroll: usize,
}

/// The knowledge base of one scenario, indexed (or why there is none).
#[derive(Debug)]
pub struct KbCache {
    pub scenario: String,
    pub index: Result<Index, String>,
}

impl KbCache {
    /// Builds the index of the bundled base named after `scenario`.
    pub fn load(scenario: &str) -> KbCache {
        let index = match KnowledgeBase::bundled(scenario) {
            None => Err(format!(
                "the '{scenario}' floor has no knowledge base in this console (bundled ones: {}); try \
                 `callfloor kb --scenario FILE`",
                crate::kb::BUNDLED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )),
            Some(Err(e)) => Err(e.to_string()),
            Some(Ok(kb)) => Index::build(kb),
        };
        KbCache { scenario: scenario.to_string(), index }
    }
}

impl KbOverlay {
    /// Searches `index` for `query`.
    pub fn search(index: &Index, query: &str) -> Result<KbOverlay, String> {
        let search = index.search(query, KB_HITS)?;
        let clauses = search.hits.iter().filter_map(|h| index.kb().clause(&h.id).cloned()).collect();
        Ok(KbOverlay {
            query: query.to_string(),
            title: index.kb().kb.title.clone(),
            search,
            sel: 0,
            open: None,
            scroll: 0,
            clauses,
        })
    }

    /// The overlay on the engine's answer to `query{kb}`.
    pub fn from_answer(query: &str, answer: &KbAnswer) -> KbOverlay {
        let hits = answer
            .hits
            .iter()
            .map(|h| Hit {
                id: h.id.clone(),
                date: h.date,
                title: h.title.clone(),
                lang: h.lang,
                snippet: h.snippet.clone(),
                marks: h.marks.iter().map(|[start, end]| Mark { start: *start, end: *end }).collect(),
                score: 0.0,
                band: h.band,
            })
            .collect();
        let clauses = answer
            .hits
            .iter()
            .map(|h| Clause {
                id: h.id.clone(),
                title: h.title.clone(),
                date: h.date,
                text: h.text.clone(),
                lang: h.lang,
                tags: h.tags.clone(),
            })
            .collect();
        KbOverlay {
            query: query.to_string(),
            title: answer.title.clone(),
            search: Search { terms: answer.terms.clone(), all_terms: answer.all_terms, total: answer.total, hits },
            sel: 0,
            open: None,
            scroll: 0,
            clauses,
        }
    }

    /// Moves the selection (or scrolls the open clause) by `delta`.
    pub fn step(&mut self, delta: i64) {
        if self.open.is_some() {
            self.scroll = self.scroll.saturating_add_signed(delta as isize);
            return;
        }
        let last = self.search.hits.len().saturating_sub(1);
        self.sel = self.sel.saturating_add_signed(delta as isize).min(last);
    }
}
