//! `query{kb}` over the real WebSocket: any role (here a viewer) searches the floor's knowledge base and gets the
//! clauses whole, best first and newest first among equals, in Chinese and in English; a floor without a base says
//! so with `not_found`; words that cannot be searched are `bad_frame`.

use std::future::Future;
use std::time::Duration;

use callfloor::client::{self, ClientConfig, Outgoing, Update};
use callfloor::engine::Engine;
use callfloor::engine::server::{self, Pacing, ServerConfig, ServerHandle, TokenEntry, Tokens};
use callfloor::engine::sim::scenario::Scenario;
use callfloor::model::*;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const GUARD: Duration = Duration::from_secs(30);
const VIEWER: &str = "viewer-token-0000001";

async fn guard<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(GUARD, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

async fn serve(scenario: &str) -> ServerHandle {
    let Ok(s) = Scenario::load(scenario) else { panic!("the bundled {scenario} scenario must load") };
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else { panic!("bind") };
    let tokens =
        Tokens::from_entries(vec![TokenEntry { name: "val".into(), token: VIEWER.into(), role: Role::Viewer }]);
    match server::serve(listener, Engine::new(s, 7), ServerConfig::new(tokens, Pacing::Manual)).await {
        Ok(s) => s,
        Err(e) => panic!("the server must start: {e:#}"),
    }
}

struct Viewer {
    updates: mpsc::Receiver<Update>,
    commands: mpsc::Sender<Outgoing>,
    next: u32,
}

impl Viewer {
    async fn connect(server: &ServerHandle) -> Viewer {
        let (mut updates, commands) = client::spawn(ClientConfig::new(server.url(), VIEWER));
        // Ready once the first snapshot is in.
        loop {
            match guard("the snapshot", updates.recv()).await {
                Some(Update::Snapshot { .. }) => break,
                Some(_) => {}
                None => panic!("the client stopped before the snapshot"),
            }
        }
        Viewer { updates, commands, next: 0 }
    }

    /// Asks `query` and returns its answer: the record, or the error's code and message.
    async fn ask(&mut self, query: Query) -> Result<Record, (ErrorCode, String)> {
        self.next += 1;
        let id = format!("k{}", self.next);
        assert!(self.commands.send(Outgoing::query(id.clone(), query)).await.is_ok());
        loop {
            match guard("the answer", self.updates.recv()).await {
                Some(Update::Record { id: i, record }) if i == id => return Ok(record),
                Some(Update::Error { id: Some(i), code, message }) if i == id => return Err((code, message)),
                Some(_) => {}
                None => panic!("the client stopped"),
            }
        }
    }

    async fn kb(&mut self, words: &str, limit: Option<u32>) -> KbAnswer {
        match self.ask(Query::Kb { kb: words.into(), limit }).await {
            Ok(Record::Kb(k)) => *k,
            other => panic!("{words:?}: a kb record, not {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_role_searches_the_floors_knowledge_base_in_both_languages() {
    let server = serve("gov-hotline").await;
    let mut v = Viewer::connect(&server).await;

    let zh = v.kb("医保 报销", None).await;
    assert!(zh.synthetic && !zh.title.is_empty());
    assert!(zh.all_terms && zh.total >= zh.hits.len() && !zh.hits.is_empty());
    assert!(zh.hits.len() <= KB_LIMIT_DEFAULT as usize, "the default limit holds");
    assert_eq!(zh.hits[0].id, "GH-101", "the newest of the equally relevant clauses first");
    for pair in zh.hits.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(a.band < b.band || (a.band == b.band && a.date >= b.date), "best band, then newest: {a:?} {b:?}");
    }
    assert!(zh.hits.iter().all(|h| h.lang == Lang::Zh && !h.text.is_empty() && !h.snippet.is_empty()));
    assert!(zh.hits.iter().any(|h| h.text.contains("1800元")), "clauses travel whole: {:?}", zh.hits);

    let en = v.kb("medical insurance reimbursement", Some(2)).await;
    assert_eq!(en.hits.len(), 2, "the limit holds");
    assert!(en.hits.iter().all(|h| h.lang == Lang::En), "{:?}", en.hits);
    assert!(en.hits[0].date >= en.hits[1].date || en.hits[0].band < en.hits[1].band);
    let marked: Vec<String> = en.hits[0]
        .marks
        .iter()
        .map(|[s, e]| en.hits[0].snippet.chars().skip(*s).take(e - s).collect::<String>().to_lowercase())
        .collect();
    assert!(marked.iter().any(|m| m.contains("reimburs") || m.contains("insurance")), "{marked:?}");

    // Blank or overlong words are refused with a sentence.
    let blank = v.ask(Query::Kb { kb: "  ".into(), limit: None }).await;
    assert!(matches!(&blank, Err((ErrorCode::BadFrame, m)) if m.contains("give the words")), "{blank:?}");
    let long = v.ask(Query::Kb { kb: "医".repeat(KB_QUERY_MAX_CHARS + 1), limit: None }).await;
    assert!(matches!(&long, Err((ErrorCode::BadFrame, m)) if m.contains("longer than")), "{long:?}");
    let _ = server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_floor_without_a_knowledge_base_answers_not_found() {
    let server = serve("school").await;
    let mut v = Viewer::connect(&server).await;
    let answer = v.ask(Query::Kb { kb: "英语".into(), limit: None }).await;
    let Err((code, message)) = answer else { panic!("not found, not {answer:?}") };
    assert_eq!(code, ErrorCode::NotFound);
    assert!(message.contains("this floor has no knowledge base"), "{message}");
    let _ = server.shutdown().await;
}
