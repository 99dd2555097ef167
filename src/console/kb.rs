//! The `:kb` overlay's state: the floor's knowledge base (built once per scenario, on the first `:kb`), the last
//! search and where the user is in it.
//!
//! The console searches the bundled knowledge base named after the floor's scenario (`gov-hotline`, `hospital`,
//! `bank`): the engine does not serve knowledge queries over the protocol yet, so a floor from a scenario file of
//! one's own has no `:kb` in the console (`callfloor kb --scenario FILE` searches it).

use crate::kb::{Clause, Index, KnowledgeBase, Search};

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
        Ok(KbOverlay {
            query: query.to_string(),
            title: index.kb().kb.title.clone(),
            search,
            sel: 0,
            open: None,
            scroll: 0,
        })
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
