//! The engine's durable store: one SQLite file (SQLCipher-encrypted when given a key) holding tickets with their
//! whole history, alerts and their acknowledgements, the audit log, and a record of every finished call.
//!
//! - **What is durable when.** A writer thread turns each batch of events into rows, one transaction per batch
//!   (batches that queued up while it wrote share one). A supervisor command waits for [`Store::barrier`]: its
//!   `ack` is sent only once the transaction holding its events is committed (`synchronous = FULL`), so a `kill -9`
//!   after an ack loses nothing acknowledged. Events the simulation makes are written within a tick or two.
//! - **When writing fails** (disk full, a table dropped under us), the rows stay queued and the writer retries every
//!   second; until a write succeeds the store reports itself failing ([`StoreHealth`]) and the server refuses
//!   commands that change tickets, alerts or seats with `store_failed`.
//! - **Restart.** [`Db::resume`] reads back what a restarted floor continues from: open tickets, unacknowledged
//!   alerts, the newest audit entries, the floor time it had reached and the id counters. Ids are reserved in blocks
//!   ahead of use, so no id handed out before a crash is handed out again.
//! - **Privacy at rest.** The file (and its -wal and -shm) is created owner-only; ID, card and phone numbers are
//!   masked in stored transcripts and caller numbers unless the scenario opts in (`[privacy]`).

mod read;
pub mod report;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use anyhow::{Context, Result, bail};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use crate::model::StoreStatus;
use crate::model::*;
pub use crate::model::{CallRecord, TicketRecord};
pub use read::{AuditRow, ExportKind, Reader, Since};
pub use schema::{Prepared, SchemaError, VERSION as SCHEMA_VERSION};
use writer::{Job, Writer};

/// Ids a restarted engine continues from: the highest call, ticket and alert numbers handed out (or reserved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Numbering {
    pub call: u32,
    pub ticket: u32,
    pub alert: u32,
}

impl Numbering {
    /// Each counter at least as high as in `other`.
    pub fn max(self, other: Numbering) -> Numbering {
        Numbering {
            call: self.call.max(other.call),
            ticket: self.ticket.max(other.ticket),
            alert: self.alert.max(other.alert),
        }
    }

    /// True when any counter of `self` is beyond `other`'s.
    pub fn exceeds(self, other: Numbering) -> bool {
        self.call > other.call || self.ticket > other.ticket || self.alert > other.alert
    }

    fn plus(self, n: u32) -> Numbering {
        Numbering {
            call: self.call.saturating_add(n),
            ticket: self.ticket.saturating_add(n),
            alert: self.alert.saturating_add(n),
        }
    }
}

/// Ids reserved at a time: a restarted engine skips at most this many numbers of each kind.
pub const RESERVE_BLOCK: u32 = 1000;

/// What a restarted floor continues from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resume {
    /// Runs of this scenario already in the db.
    pub runs: u32,
    /// The newest floor time the last run of this scenario reached.
    pub floor_time: Option<Time>,
    /// Tickets not resolved, oldest first (their newest notes inline, see [`TICKET_NOTES_INLINE`]).
    pub tickets: Vec<Ticket>,
    /// Alerts not acknowledged, oldest first.
    pub alerts: Vec<Alert>,
    /// The newest audit entries, oldest first.
    pub audit: Vec<AuditEntry>,
    pub numbering: Numbering,
    /// Seats a supervisor moved to other queues, with their queues.
    pub seats: Vec<(AgentId, Vec<QueueId>)>,
    /// The salt of this db's caller keys (see [`caller_key`]); `None` for a db not yet prepared.
    pub caller_salt: Option<String>,
    /// The newest earlier contacts of callers, by caller key (at most [`CALLER_ROWS`] calls and tickets in all).
    pub callers: Vec<SavedCaller>,
    /// Callbacks not reached or given up, oldest first (at most [`CALLBACKS_CAP`]).
    pub callbacks: Vec<Callback>,
    /// Temporary seats as they were added, with who added them (the engine keeps those whose `until` is ahead).
    pub temp_seats: Vec<(Agent, String)>,
}

/// One caller's earlier contacts as the store keeps them: calls (oldest first) and tickets with the call they came
/// from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SavedCaller {
    pub key: String,
    pub calls: Vec<EarlierCall>,
    pub tickets: Vec<(TicketId, Option<CallId>)>,
}

/// Finished calls (and tickets) a restarted engine reads back for its repeat-caller index: the newest.
pub const CALLER_ROWS: usize = 20_000;

/// The key a caller's number is found by in the store: a salted SHA-256 (first 16 bytes, hex) of the number with
/// spaces and dashes removed. The db keeps the key, never the number (unless `[privacy]` keeps numbers clear).
pub fn caller_key(salt: &str, number: &str) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(salt.as_bytes());
    h.update(b":");
    for c in number.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let mut buf = [0u8; 4];
        h.update(c.encode_utf8(&mut buf).as_bytes());
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Where the store lives and how it is opened.
#[derive(Clone, PartialEq, Eq)]
pub struct DbOptions {
    pub path: PathBuf,
    /// SQLCipher key (a passphrase); `None` for a plain SQLite file.
    pub key: Option<String>,
}

impl std::fmt::Debug for DbOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbOptions").field("path", &self.path).field("key", &self.key.as_ref().map(|_| "…")).finish()
    }
}

impl DbOptions {
    pub fn plain(path: impl Into<PathBuf>) -> DbOptions {
        DbOptions { path: path.into(), key: None }
    }
}

/// The default place of a scenario's db: `<data dir>/callfloor/<scenario>.db` (`~/.local/share` on Linux).
pub fn default_path(scenario: &str) -> Result<PathBuf> {
    let Some(base) = dirs::data_dir() else {
        bail!("cannot find a data folder for the database (no HOME?): give one with --db FILE, or --db :memory:")
    };
    let safe: String =
        scenario.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    Ok(base.join("callfloor").join(format!("{safe}.db")))
}

/// Reads a key file: its first line, trimmed. Refuses an empty one and warns (returns the note) when others can read
/// it.
pub fn read_key_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("cannot read the db key file {}: check the path and its permissions", path.display())
    })?;
    let key = text.lines().next().unwrap_or("").trim().to_string();
    if key.is_empty() {
        bail!("the db key file {} is empty: put the key on its first line", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!("the db key file {} can be read by other users: chmod 600 it", path.display());
        }
    }
    Ok(key)
}

/// Makes `path` owner-only (0600) if it exists and is more open; says whether it changed anything.
#[cfg(unix)]
fn tighten(path: &Path) -> Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else { return Ok(false) };
    let mode = meta.permissions().mode();
    if mode & 0o077 == 0 {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700 | 0o600))
        .with_context(|| format!("cannot make {} owner-only (chmod 600 it)", path.display()))?;
    Ok(true)
}

#[cfg(not(unix))]
fn tighten(_path: &Path) -> Result<bool> {
    Ok(false)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Opens a connection to `opts.path` (creating the file owner-only when missing), applies the key and checks the
/// file can be read. `write`: create if missing.
fn connect(opts: &DbOptions, write: bool) -> Result<Connection> {
    let path = &opts.path;
    let shown = path.display();
    if write && !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).with_context(|| {
                format!("cannot create the folder {} for the database: check its parent is writable", dir.display())
            })?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(path).with_context(|| {
            format!("cannot open the database {shown}: check that its folder exists and is writable")
        })?;
    }
    if !path.exists() {
        bail!("there is no database at {shown}: check the path (an engine creates it when it starts with --db)");
    }
    let flags = if write {
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)
        .with_context(|| format!("cannot open the database {shown}: check that its folder exists and is writable"))?;
    if let Some(key) = &opts.key {
        conn.pragma_update(None, "key", key).with_context(|| format!("{shown}: cannot apply the key"))?;
    }
    // SQLCipher logs a failed key to stderr by itself (the sentence below says it better). Its first activation
    // sets that log up, so this comes after the key.
    let _ = conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()));
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .with_context(|| format!("{shown}: cannot set a busy timeout"))?;
    if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)) {
        let not_db = matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase);
        if !not_db {
            return Err(e).with_context(|| format!("cannot read the database {shown}"));
        }
        if opts.key.is_some() {
            bail!(
                "the key does not open {shown}: it is a different key, the file is not encrypted, or it is not a \
                 callfloor database (the file was left as it is)"
            );
        }
        bail!(
            "{shown} cannot be read: it is encrypted (give its key with --db-key-file or CALLFLOOR_DB_KEY) or it is \
             not a SQLite database (the file was left as it is)"
        );
    }
    Ok(conn)
}

/// An open, checked and migrated db, before the floor starts writing to it.
pub struct Db {
    conn: Connection,
    opts: DbOptions,
    prepared: Prepared,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("opts", &self.opts).field("prepared", &self.prepared).finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (or creates, owner-only) the db, checks it is callfloor's and not from a newer version, and migrates an
    /// older schema. A db that is refused is left exactly as it was.
    pub fn open(opts: &DbOptions) -> Result<Db> {
        let shown = opts.path.display().to_string();
        let mut conn = connect(opts, true)?;
        // Nothing is written (not even the switch to WAL) before the file is known to be ours and not newer.
        let from = schema::check(&conn).map_err(|e| match e {
            SchemaError::Newer { found } => anyhow::anyhow!(
                "{shown} was written by a newer callfloor (schema {found}; this one knows up to {}): use a newer \
                 callfloor, or another --db (the file was left as it is)",
                schema::VERSION
            ),
            SchemaError::Foreign { .. } => {
                anyhow::anyhow!("{shown} cannot be used: {e}; give another --db (the file was left as it is)")
            }
            SchemaError::Sql(m) => anyhow::anyhow!("cannot read the database {shown}: {m}"),
        })?;
        for p in [opts.path.clone(), sidecar(&opts.path, "-wal"), sidecar(&opts.path, "-shm")] {
            if tighten(&p)? {
                tracing::warn!("{} could be read by other users: it is now owner-only (0600)", p.display());
            }
        }
        conn.pragma_update(None, "journal_mode", "WAL").with_context(|| format!("{shown}: cannot switch to WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL").with_context(|| format!("{shown}: cannot set synchronous"))?;
        let prepared = schema::prepare(&mut conn, from)
            .map_err(|e| anyhow::anyhow!("cannot prepare the tables in {shown}: {e}"))?;
        for p in [sidecar(&opts.path, "-wal"), sidecar(&opts.path, "-shm")] {
            let _ = tighten(&p);
        }
        Ok(Db { conn, opts: opts.clone(), prepared })
    }

    /// What opening did: created, migrated, or found current.
    pub fn prepared(&self) -> Prepared {
        self.prepared
    }

    pub fn path(&self) -> &Path {
        &self.opts.path
    }

    /// What a new floor of `scenario` continues from.
    pub fn resume(&self, scenario: &str) -> Result<Resume> {
        read::resume(&self.conn, scenario)
            .with_context(|| format!("cannot read the saved floor from {}", self.opts.path.display()))
    }

    /// Starts this run: records it, reserves ids ahead of `numbering`, writes what `floor` holds that the db does not
    /// (anything not reloaded from `resume`), and starts the writer. Events recorded next must be the ones that follow
    /// `floor` (their first seq is `floor.seq`).
    pub fn start(
        self,
        floor: &Floor,
        identity: &FloorIdentity,
        resume: &Resume,
        numbering: Numbering,
        clear_transcripts: bool,
    ) -> Result<Store> {
        let Db { mut conn, opts, .. } = self;
        let shown = opts.path.display().to_string();
        let reserved = numbering.plus(RESERVE_BLOCK);
        let health = Arc::new(StoreHealth::default());
        let mut writer = Writer::new(floor.clone(), resume, clear_transcripts, health.clone());
        writer.begin(&mut conn, floor, identity, reserved).with_context(|| format!("cannot start a run in {shown}"))?;
        for p in [sidecar(&opts.path, "-wal"), sidecar(&opts.path, "-shm")] {
            let _ = tighten(&p);
        }
        let run = writer.run_id();
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("callfloor-store".into())
            .spawn(move || writer.serve(conn, rx, shown))
            .context("cannot start the store's writer thread")?;
        Ok(Store {
            path: opts.path.clone(),
            opts,
            run,
            tx: Some(tx),
            thread: Some(thread),
            health,
            reserved,
            reader: Mutex::new(None),
        })
    }
}

/// How the store is doing, shared between its writer and the server (metrics, refusals).
#[derive(Debug, Default)]
pub struct StoreHealth {
    failing: AtomicBool,
    error: Mutex<Option<String>>,
    /// Rows waiting to be written (queued after a failed write).
    pending: AtomicU64,
    rows: AtomicU64,
    transactions: AtomicU64,
    failures: AtomicU64,
}

impl StoreHealth {
    pub fn failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }

    pub fn status(&self) -> StoreStatus {
        let ok = !self.failing();
        StoreStatus { ok, error: if ok { None } else { self.error() }, pending: self.pending.load(Ordering::Relaxed) }
    }

    fn set(&self, result: &Result<(), String>, pending: usize) {
        self.pending.store(pending as u64, Ordering::Relaxed);
        match result {
            Ok(()) => {
                self.transactions.fetch_add(1, Ordering::Relaxed);
                self.failing.store(false, Ordering::Release);
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut slot) = self.error.lock() {
                    *slot = Some(e.clone());
                }
                self.failing.store(true, Ordering::Release);
            }
        }
    }
}

/// What the writer did, returned by [`Store::close`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreReport {
    /// This run's id in the `runs` table.
    pub run: i64,
    /// Transactions committed.
    pub transactions: u64,
    /// Rows written (inserted or updated).
    pub rows: u64,
    /// Writes that failed (their rows were kept and retried).
    pub failed_writes: u64,
    /// Rows that could not be written by the time the store closed.
    pub unwritten: u64,
    pub first_error: Option<String>,
}

/// A handle on the store's writer thread.
pub struct Store {
    path: PathBuf,
    opts: DbOptions,
    reader: Mutex<Option<Reader>>,
    run: i64,
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<StoreReport>>,
    health: Arc<StoreHealth>,
    /// Ids reserved so far (the highest of each kind that may be handed out before a new reservation commits).
    reserved: Numbering,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).field("run", &self.run).finish_non_exhaustive()
    }
}

/// The answer of a [`Store::barrier`]: everything recorded before it is committed, or why not.
pub type BarrierReply = tokio::sync::oneshot::Receiver<Result<(), String>>;

impl Store {
    /// Opens the db, continues `engine`'s floor from it (see [`crate::engine::Engine::resume`]) and starts writing.
    /// Tests and tools use this; the server does the same steps itself.
    pub fn open(opts: &DbOptions, engine: &mut crate::engine::Engine) -> Result<Store> {
        let db = Db::open(opts)?;
        let resume = db.resume(engine.scenario_id())?;
        engine.resume(&resume);
        engine.discard_outbox();
        let clear = engine.stores_clear_transcripts();
        db.start(engine.floor(), engine.identity(), &resume, engine.numbering(), clear)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This run's id in the `runs` table.
    pub fn run_id(&self) -> i64 {
        self.run
    }

    /// Runs `f` on a read-only view of the db (opened on first use and kept): what is committed so far.
    pub fn read<T>(&self, f: impl FnOnce(&Reader) -> Result<T>) -> Result<T> {
        let mut slot = self.reader.lock().map_err(|_| anyhow::anyhow!("the store's reader was poisoned"))?;
        if slot.is_none() {
            *slot = Some(Reader::open(&self.opts)?);
        }
        match slot.as_ref() {
            Some(r) => f(r),
            None => bail!("the store's reader is not open"),
        }
    }

    pub fn health(&self) -> Arc<StoreHealth> {
        self.health.clone()
    }

    fn send(&self, job: Job) {
        let Some(tx) = &self.tx else { return };
        if tx.send(job).is_err() {
            tracing::error!(
                "the store's writer thread has stopped: nothing more is written to {}",
                self.path.display()
            );
            self.health.set(&Err("the store's writer thread has stopped".into()), 0);
        }
    }

    /// Queues a batch of events for writing (the writer never drops one: the audit log must be complete).
    pub fn record(&self, events: Arc<Vec<Event>>) {
        self.send(Job::Events(events));
    }

    /// Resolves once everything recorded so far is committed (or with the error that stopped it).
    pub fn barrier(&self) -> BarrierReply {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Job::Barrier(writer::Reply::Async(tx)));
        rx
    }

    /// Waits (blocking the thread) until everything recorded so far is committed.
    pub fn wait_committed(&self) -> Result<(), String> {
        let (tx, rx) = mpsc::channel();
        self.send(Job::Barrier(writer::Reply::Blocking(tx)));
        rx.recv().unwrap_or_else(|_| Err("the store's writer thread has stopped".into()))
    }

    /// Reserves ids ahead of `used` when it comes within half a block of the reservation. True when ids beyond the
    /// last reservation are already in use: the caller must [`Store::wait_committed`] before anyone sees them.
    pub fn reserve(&mut self, used: Numbering) -> bool {
        let half = RESERVE_BLOCK / 2;
        if !used.plus(half).exceeds(self.reserved) {
            return false;
        }
        let beyond = used.exceeds(self.reserved);
        self.reserved = self.reserved.max(used.plus(RESERVE_BLOCK));
        self.send(Job::Reserve(self.reserved));
        beyond
    }

    /// Writes what is queued, stops the writer and says what it did.
    pub fn close(mut self) -> Result<StoreReport> {
        self.finish()
    }

    fn finish(&mut self) -> Result<StoreReport> {
        self.tx.take();
        let Some(thread) = self.thread.take() else { return Ok(StoreReport::default()) };
        thread.join().map_err(|_| anyhow::anyhow!("the store's writer thread panicked ({})", self.path.display()))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.thread.is_some()
            && let Err(e) = self.finish()
        {
            tracing::error!("{e}");
        }
    }
}

/// Notes and history entries a ticket carries inline on the floor (and in snapshots); older ones are counted in
/// `notes_earlier` and read from the store.
pub use crate::model::TICKET_NOTES_INLINE;
