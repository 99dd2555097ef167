//! Command-line interface: the clap definitions and the dispatch to each mode.

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::Engine;
use crate::engine::headless::{self, RunOptions};
use crate::engine::sim::clock::{Speed, parse_duration};
use crate::engine::sim::scenario::{DEFAULT_SCENARIO, Scenario};

#[derive(Debug, Parser)]
#[command(
    name = "callfloor",
    version,
    about = "A terminal supervisor console for call centers, with a bundled call engine.",
    long_about = "A terminal supervisor console for call centers, with a bundled call engine it watches over \
                  WebSocket.\n\nRun with no command for the demo: an engine and a console in one process on a \
                  simulated floor.",
    after_help = "Bundled scenarios: hospital, bank, school, gov-hotline, ecommerce-promo (or give a path to a .toml file)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    #[command(flatten)]
    pub demo: DemoArgs,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the call engine: headless with a summary, or serving its floor over WebSocket with --listen.
    Engine(EngineArgs),
    /// Analyse utterances read from stdin, one per line: language, sentiment and rule hits as JSON lines.
    Analyze(AnalyzeArgs),
    /// Open the supervisor console on an engine.
    Console(ConsoleArgs),
    /// Print a running engine's event stream as JSON lines (one event per line, with its seq).
    Tail(TailArgs),
    /// Feed transcript lines (or JSON lines with tags) read from stdin into an engine's calls, with an ingest token.
    Ingest(IngestArgs),
    /// Print the audit log from an engine's database: who did what, when, and what came of it.
    Audit(AuditArgs),
    /// Export calls, tickets or alerts from an engine's database as CSV or JSON lines.
    Export(ExportArgs),
    /// Search a scenario's knowledge base (full text, Chinese and English): the best clauses, newest first among
    /// equally relevant ones.
    Kb(KbArgs),
}

#[derive(Debug, Args)]
pub struct KbArgs {
    /// Scenario whose knowledge base to search: a bundled name or the path of a scenario file.
    #[arg(long, default_value = "gov-hotline")]
    pub scenario: String,
    /// Words to look for, e.g. `医保 报销` or `residence permit`.
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Print JSON (one object: terms, all_terms, total, hits) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Hits to print at most.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Scenario: a bundled name or the path of a scenario file.
    #[arg(long, default_value = DEFAULT_SCENARIO)]
    pub scenario: String,
    /// Floor-seconds per wall-second.
    #[arg(long, default_value = "10")]
    pub speed: String,
    /// Seed of the simulation's randomness.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub ui: UiArgs,
}

/// How the console looks and behaves: shared by the demo and `callfloor console`.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// Theme: default, light, high-contrast, mono, or a path to a theme file (NO_COLOR picks mono).
    #[arg(long)]
    pub theme: Option<String>,
    /// Keymap: default, vim, or a path to a keymap file.
    #[arg(long)]
    pub keymap: Option<String>,
    /// Config file (default: ~/.config/callfloor/config.toml).
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// Do not ring the terminal bell on urgent alerts.
    #[arg(long)]
    pub no_bell: bool,
    /// Leave the mouse to the terminal (select and copy text) instead of clicking tabs and rows.
    #[arg(long)]
    pub no_mouse: bool,
    /// Do not ask before risky commands (barging from a list, removing the last seat of a queue).
    #[arg(long)]
    pub no_confirm: bool,
    /// Log file (default: ~/.local/state/callfloor/console.log).
    #[arg(long)]
    pub log_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SummaryFormat {
    Json,
    Text,
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Scenario: a bundled name or the path of a scenario file.
    #[arg(long, default_value = DEFAULT_SCENARIO)]
    pub scenario: String,
    /// Seed of the simulation's randomness: the same seed gives the same floor.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Floor-seconds per wall-second (a number such as 1, 20, 60), or `max` for as fast as the CPU allows.
    #[arg(long, default_value = "1")]
    pub speed: String,
    /// Floor time to run for, e.g. 60m, 2h, 1h30m (headless runs).
    #[arg(long, default_value = "60m")]
    pub duration: String,
    /// Print a summary at the end: `json` for scripts, `text` for people.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub summary: SummaryFormat,
    /// Print no progress lines.
    #[arg(long)]
    pub quiet: bool,
    /// Serve the running floor over WebSocket on this address (e.g. 127.0.0.1:7300) instead of a headless run.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Tokens file of [[token]] tables (name, token, role); needed to listen on anything but loopback.
    #[arg(long, value_name = "FILE", requires = "listen")]
    pub tokens: Option<std::path::PathBuf>,
    /// The floor's database (with --listen): tickets, alerts, the audit log and call records, continued after a
    /// restart. Default: <data dir>/callfloor/<scenario>.db; `:memory:` keeps nothing.
    #[arg(long, value_name = "FILE", requires = "listen")]
    pub db: Option<std::path::PathBuf>,
    /// Serve wss:// (TLS) with this certificate chain (PEM, server certificate first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_key"])]
    pub tls_cert: Option<std::path::PathBuf>,
    /// Private key (PEM) of the --tls-cert certificate.
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_cert"])]
    pub tls_key: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub key: DbKeyArgs,
    /// Where the calls come from: `sim` (the bundled simulator), `ami://USER@HOST:5038` (Asterisk) or
    /// `esl://HOST:8021` (FreeSWITCH mod_callcenter). A PBX source needs --floor and --listen.
    #[arg(long, default_value = "sim", value_name = "SOURCE")]
    pub source: String,
    /// The floor description a PBX source runs on: queues, seats and their names on the PBX, supervisors' phones,
    /// rules and ticket policy (docs/SCENARIOS.md, "Floor descriptions"; examples in floors/).
    #[arg(long, value_name = "FILE")]
    pub floor: Option<std::path::PathBuf>,
    /// File whose first line is the PBX's secret (the AMI user's secret, the event socket's password). Or set
    /// CALLFLOOR_AMI_SECRET / CALLFLOOR_ESL_PASSWORD. Never on the command line.
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<std::path::PathBuf>,
}

/// The key of an encrypted database.
#[derive(Debug, Args)]
pub struct DbKeyArgs {
    /// File whose first line is the database's key: the db is encrypted (SQLCipher). Or set CALLFLOOR_DB_KEY.
    #[arg(long, value_name = "FILE")]
    pub db_key_file: Option<std::path::PathBuf>,
}

impl DbKeyArgs {
    /// The key from --db-key-file or CALLFLOOR_DB_KEY (the file wins), if any.
    pub fn key(&self) -> Result<Option<String>> {
        if let Some(path) = &self.db_key_file {
            return crate::engine::store::read_key_file(path).map(Some);
        }
        match std::env::var("CALLFLOOR_DB_KEY") {
            Ok(k) if !k.trim().is_empty() => Ok(Some(k.trim().to_string())),
            _ => Ok(None),
        }
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The database an engine keeps (it may be running).
    #[arg(long, value_name = "FILE")]
    pub db: std::path::PathBuf,
    #[command(flatten)]
    pub key: DbKeyArgs,
    /// Only entries written since then: a duration before now (2h, 30m) or an RFC 3339 time.
    #[arg(long)]
    pub since: Option<crate::engine::store::Since>,
    /// Only entries of this user (the token's name).
    #[arg(long)]
    pub actor: Option<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub what: crate::engine::store::ExportKind,
    /// The database an engine keeps (it may be running).
    #[arg(long, value_name = "FILE")]
    pub db: std::path::PathBuf,
    #[command(flatten)]
    pub key: DbKeyArgs,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Only records written since then: a duration before now (2h, 30m) or an RFC 3339 time.
    #[arg(long)]
    pub since: Option<crate::engine::store::Since>,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    #[command(flatten)]
    pub connect: crate::client::ConnectArgs,
    /// Print one snapshot (the whole floor, one JSON line) and exit.
    #[arg(long)]
    pub once: bool,
    /// Also print the metrics frames (once a second).
    #[arg(long)]
    pub metrics: bool,
    /// Also print the `tick` events (one per floor-second, clock only).
    #[arg(long)]
    pub ticks: bool,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub connect: crate::client::ConnectArgs,
    /// The call the lines are heard on (C-1234); with --json, the call of lines that name none.
    #[arg(long)]
    pub call: Option<crate::model::CallId>,
    /// Who speaks the lines: caller or agent.
    #[arg(long, default_value = "caller", value_parser = parse_speaker)]
    pub speaker: crate::model::Speaker,
    /// The language of the lines (zh or en), when the recogniser knows it.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<crate::model::Lang>,
    /// Each line is a JSON object: {"call":"C-1","speaker":"caller","text":"…"} or {"call_tag":{"call":"C-1",…}}.
    #[arg(long)]
    pub json: bool,
    /// Lines sent before their answers come back, at most (1 waits for each answer).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub window: u16,
}

fn parse_speaker(s: &str) -> std::result::Result<crate::model::Speaker, String> {
    match s {
        "caller" => Ok(crate::model::Speaker::Caller),
        "agent" => Ok(crate::model::Speaker::Agent),
        other => Err(format!("'{other}' is not a speaker a feeder hears: use caller or agent")),
    }
}

fn parse_lang(s: &str) -> std::result::Result<crate::model::Lang, String> {
    match s {
        "zh" => Ok(crate::model::Lang::Zh),
        "en" => Ok(crate::model::Lang::En),
        other => Err(format!("'{other}' is not a language of the floor: use zh or en")),
    }
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Scenario whose keyword rules to apply: a bundled name or a path.
    #[arg(long, default_value = DEFAULT_SCENARIO)]
    pub scenario: String,
    /// Instead of reading stdin, score a labelled file (lines `pos|neg<TAB>text`, an optional third column
    /// naming an emotion) and print sign accuracy, the share scored 0, a confusion table and the throughput.
    #[arg(long, value_name = "FILE.tsv")]
    pub eval: Option<std::path::PathBuf>,
    /// With --eval: print the figures as one JSON object.
    #[arg(long, requires = "eval")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Engine to connect to, e.g. ws://127.0.0.1:7700 (default: `url` in the config file).
    #[arg(long, env = "CALLFLOOR_URL")]
    pub url: Option<String>,
    /// Access token (prefer --token-file or the CALLFLOOR_TOKEN variable: a flag shows in `ps`).
    #[arg(long, conflicts_with = "token_file")]
    pub token: Option<String>,
    /// File holding the access token.
    #[arg(long)]
    pub token_file: Option<std::path::PathBuf>,
    /// CA certificate(s), PEM, to trust for a wss:// engine instead of the bundled public roots.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub ui: UiArgs,
    /// Run an engine in this process instead of connecting (for development).
    #[arg(long, hide = true)]
    pub local: bool,
    /// Scenario of the --local engine.
    #[arg(long, default_value = DEFAULT_SCENARIO, hide = true)]
    pub scenario: String,
    /// Speed of the --local engine.
    #[arg(long, default_value = "10", hide = true)]
    pub speed: String,
    /// Seed of the --local engine.
    #[arg(long, default_value_t = 7, hide = true)]
    pub seed: u64,
}

/// Parses the command line and runs the chosen mode.
pub fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => run_demo(cli.demo),
        Some(Cmd::Engine(args)) => run_engine(args),
        Some(Cmd::Analyze(args)) => run_analyze(args),
        Some(Cmd::Console(args)) => run_console(args),
        Some(Cmd::Tail(args)) => run_tail(args),
        Some(Cmd::Ingest(args)) => run_ingest(args),
        Some(Cmd::Audit(args)) => crate::engine::store::report::audit(&args),
        Some(Cmd::Export(args)) => crate::engine::store::report::export(&args),
        Some(Cmd::Kb(args)) => {
            let out = std::io::stdout().lock();
            run_kb(&args, out)
        }
    }
}

/// `callfloor kb`: searches the scenario's knowledge base and prints the hits to `out`.
pub fn run_kb(args: &KbArgs, mut out: impl std::io::Write) -> Result<()> {
    let scenario = load_scenario(&args.scenario)?;
    let Some(kb) = scenario.kb.clone() else {
        anyhow::bail!(
            "scenario '{}' ships no knowledge base: add `knowledge = \"kb/NAME.toml\"` to its [scenario] table \
             (gov-hotline, hospital and bank have one)",
            args.scenario
        );
    };
    let index = crate::kb::Index::build(kb).map_err(anyhow::Error::msg)?;
    let query = args.query.join(" ");
    let found = index.search(&query, args.limit as usize).map_err(anyhow::Error::msg)?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &found).context("writing the hits")?;
        writeln!(out).context("writing the hits")?;
        return Ok(());
    }
    let kb = index.kb();
    let terms = found.terms.join(" ");
    if found.hits.is_empty() {
        writeln!(out, "no clause of {} matches '{terms}'", kb.kb.title).context("writing the hits")?;
        return Ok(());
    }
    let which = if found.all_terms { "with every word" } else { "with some of the words (none has them all)" };
    writeln!(out, "{} of {} clauses {which} of '{terms}' in {}:", found.hits.len(), found.total, kb.kb.title)
        .context("writing the hits")?;
    for h in &found.hits {
        writeln!(out, "{}  {}  {}\n    {}", h.id, h.date, h.title, h.marked_snippet()).context("writing the hits")?;
    }
    Ok(())
}

fn load_scenario(name: &str) -> Result<Scenario> {
    Ok(Scenario::load(name)?)
}

fn parse_speed(s: &str) -> Result<Speed> {
    s.parse::<Speed>().map_err(|e| anyhow::anyhow!("--speed: {e}"))
}

/// Floor time the demo's engine runs before the console attaches, so the newcomer opens on a floor in motion:
/// calls in every state, alerts raised, tickets about to fall due.
const DEMO_WARM_UP_MIN: i64 = 40;

/// The demo: an engine and a console in one process, talking over a real loopback WebSocket.
fn run_demo(args: DemoArgs) -> Result<()> {
    use crate::console;
    let scenario = load_scenario(&args.scenario)?;
    let speed = parse_speed(&args.speed)?;
    if speed == Speed::Max {
        bail!(
            "--speed: the demo runs at a pace you can watch: give a number such as 10 or 30 (max is for `callfloor engine`)"
        );
    }
    let (opts, _) = console_setup(&args.ui)?;
    let mut engine = Engine::new(scenario, args.seed);
    let warm_to = engine.now() + chrono::Duration::minutes(DEMO_WARM_UP_MIN);
    engine.advance_to(warm_to);
    engine.discard_outbox();
    let rt = tokio_runtime()?;
    let demo = rt.block_on(crate::engine::server::spawn_demo_server(engine, speed))?;
    tracing::info!(url = %demo.url(), "demo engine listening");
    let (updates, outgoing) = {
        let _guard = rt.enter();
        crate::client::spawn(crate::client::ClientConfig::new(demo.url(), demo.supervisor_token.clone()))
    };
    let result = console::run(opts, updates, outgoing);
    if let Err(e) = rt.block_on(demo.shutdown()) {
        tracing::warn!("demo engine did not stop cleanly: {e:#}");
    }
    result
}

fn run_engine(args: EngineArgs) -> Result<()> {
    let source = crate::bridge::SourceUrl::parse(&args.source).map_err(|e| anyhow::anyhow!("--source: {e}"))?;
    if source != crate::bridge::SourceUrl::Sim {
        return run_pbx_engine(source, &args);
    }
    if args.floor.is_some() || args.secret_file.is_some() {
        bail!("--floor and --secret-file are for a PBX source (--source ami://USER@HOST:5038 or esl://HOST:8021)");
    }
    let scenario = load_scenario(&args.scenario)?;
    let duration = parse_duration(&args.duration).map_err(|e| anyhow::anyhow!("--duration: {e}"))?;
    if duration <= chrono::Duration::zero() {
        bail!("--duration: give a floor time longer than zero, e.g. 60m");
    }
    let speed = parse_speed(&args.speed)?;
    if let Some(listen) = &args.listen {
        return run_server(Engine::new(scenario, args.seed), speed, listen, &args, None);
    }
    let mut engine = Engine::new(scenario, args.seed);
    let opts = RunOptions { seed: args.seed, speed, duration, progress: !args.quiet };
    let summary = headless::run(&mut engine, &opts);
    let mut out = std::io::stdout().lock();
    match args.summary {
        SummaryFormat::Json => {
            serde_json::to_writer(&mut out, &summary).context("writing the summary")?;
            writeln!(out)?;
        }
        SummaryFormat::Text => write!(out, "{}", summary.to_text())?,
    }
    Ok(())
}

/// `engine --source ami://…|esl://…`: a floor that follows a PBX, served until Ctrl-C.
fn run_pbx_engine(source: crate::bridge::SourceUrl, args: &EngineArgs) -> Result<()> {
    let Some(listen) = &args.listen else {
        bail!("--source {source}: a PBX floor is served, not run headless: add --listen ADDR (e.g. 127.0.0.1:7300)");
    };
    let Some(floor) = &args.floor else {
        bail!(
            "--source {source} needs --floor FILE, the floor description (queues, seats and their names on the PBX): \
             see docs/SCENARIOS.md and floors/"
        );
    };
    if parse_speed(&args.speed)? != Speed::Times(1.0) {
        bail!("--speed: a PBX floor runs on the wall clock; leave --speed out");
    }
    let description = crate::engine::sim::scenario::FloorDescription::load(floor)?;
    let secret = source.secret(args.secret_file.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Floor time is the engine host's local clock time, as a simulated floor's clock reads its floor's time of day.
    let start = chrono::Local::now().naive_local().and_utc();
    let engine = Engine::with_source(description, args.seed, start);
    run_server(engine, Speed::Times(1.0), listen, args, Some((source, secret)))
}

/// Logs to stderr; `RUST_LOG` overrides `default`.
fn init_stderr_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).try_init();
}

fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// `engine --listen`: serves the floor until Ctrl-C.
fn run_server(
    engine: Engine,
    speed: Speed,
    listen: &str,
    args: &EngineArgs,
    pbx: Option<(crate::bridge::SourceUrl, crate::bridge::Secret)>,
) -> Result<()> {
    use crate::engine::server::{self, Pacing, ServerConfig, TokenEntry, Tokens};
    init_stderr_logging("info");
    let addr: std::net::SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen: '{listen}' is not an address: write it like 127.0.0.1:7300"))?;
    let mut generated = None;
    let tokens = match &args.tokens {
        Some(path) => Tokens::load(path)?,
        None if !addr.ip().is_loopback() => bail!(
            "refusing to listen on {addr} without --tokens: anyone who can reach it would see callers' data, so give a tokens file or listen on 127.0.0.1"
        ),
        None => {
            let token = server::generate_token();
            generated = Some(token.clone());
            Tokens::from_entries(vec![TokenEntry {
                name: "supervisor".into(),
                token,
                role: crate::model::Role::Supervisor,
            }])
        }
    };
    let mut config = ServerConfig::new(tokens, Pacing::Clock(speed));
    config.db = match &args.db {
        Some(p) if p.as_os_str() == ":memory:" => None,
        Some(p) => Some(crate::engine::store::DbOptions { path: p.clone(), key: args.key.key()? }),
        None => Some(crate::engine::store::DbOptions {
            path: crate::engine::store::default_path(engine.scenario_id())?,
            key: args.key.key()?,
        }),
    };
    if config.db.is_none() && args.key.db_key_file.is_some() {
        bail!("--db-key-file: there is no database to encrypt with --db :memory:");
    }
    let db_shown = config.db.as_ref().map(|d| d.path.display().to_string());
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(server::ServerTls::load(cert, key)?);
    }
    if let Some(warning) = clear_text_warning(addr, config.tls.is_some()) {
        eprintln!("callfloor engine: warning: {warning}");
    }
    tokio_runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--listen: cannot listen on {addr} (is another engine running there?)"))?;
        let floor_name = engine.scenario_id().to_string();
        let bridge = pbx.as_ref().and_then(|(url, secret)| crate::bridge::start(url, secret.clone(), engine.roster()));
        let handle = server::serve_source(listener, engine, config, bridge).await?;
        let url = handle.url();
        match &pbx {
            Some((source, _)) => eprintln!(
                "callfloor engine: serving floor {floor_name} on {url}, following the PBX at {source} (the console shows \
                 the link's state)"
            ),
            None => eprintln!("callfloor engine: serving scenario {} on {url}", args.scenario),
        }
        match &db_shown {
            Some(db) => eprintln!("callfloor engine: the floor is kept in {db}"),
            None => eprintln!("callfloor engine: the floor is kept in memory only (--db :memory:)"),
        }
        if let Some(token) = generated {
            eprintln!("connect with: callfloor console --url {url} --token {token}");
            eprintln!("(a supervisor token made for this run; use --tokens FILE for named users and roles)");
        }
        if handle.is_tls() {
            eprintln!(
                "(TLS: clients connect to wss://NAME:{} with NAME on the certificate, and --ca FILE if it comes from a private CA)",
                handle.local_addr().port()
            );
        }
        wait_for_stop().await?;
        eprintln!("callfloor engine: stopping");
        if let Some(report) = handle.shutdown().await? {
            eprintln!(
                "callfloor engine: run {} written to the database: {} rows in {} transactions",
                report.run, report.rows, report.transactions
            );
            if report.unwritten > 0 {
                bail!(
                    "{} rows could not be written to the database ({}): check the disk and the log",
                    report.unwritten,
                    report.first_error.unwrap_or_default()
                );
            }
        }
        Ok(())
    })
}

/// The warning for serving beyond loopback without TLS (None on loopback, or with TLS).
pub fn clear_text_warning(addr: std::net::SocketAddr, tls: bool) -> Option<String> {
    (!tls && !addr.ip().is_loopback()).then(|| {
        format!(
            "serving {addr} without TLS: access tokens and callers' data travel in clear over the network, readable by anyone on the path; give --tls-cert and --tls-key, or listen on 127.0.0.1 and reach it through an SSH tunnel"
        )
    })
}

/// Waits for Ctrl-C, or SIGTERM (systemd, `kill`), so the engine stops cleanly either way.
async fn wait_for_stop() -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}

/// `tail`: the event stream as JSON lines until Ctrl-C (or one snapshot with --once).
fn run_tail(args: TailArgs) -> Result<()> {
    init_stderr_logging("warn");
    let config = args.connect.to_config()?;
    let opts = crate::client::tail::TailOptions { once: args.once, metrics: args.metrics, ticks: args.ticks };
    tokio_runtime()?.block_on(async move {
        let out = std::io::BufWriter::new(std::io::stdout());
        tokio::select! {
            r = crate::client::tail::run(config, opts, out, std::io::stderr()) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

/// `ingest`: stdin's lines into the engine's calls, each answered; fails if any line was refused.
fn run_ingest(args: IngestArgs) -> Result<()> {
    init_stderr_logging("warn");
    if !args.json && args.call.is_none() {
        anyhow::bail!(
            "give the call the lines are heard on with --call C-1234, or use --json with a call on each line"
        );
    }
    let config = args.connect.to_config()?;
    let opts = crate::client::ingest::IngestOptions {
        call: args.call,
        speaker: args.speaker,
        lang: args.lang,
        json: args.json,
        window: usize::from(args.window),
    };
    let summary = tokio_runtime()?.block_on(async move {
        let input = crate::client::ingest::lines_of(std::io::BufReader::new(std::io::stdin()));
        tokio::select! {
            r = crate::client::ingest::run(config, opts, input, std::io::stderr()) => r,
            _ = tokio::signal::ctrl_c() => anyhow::bail!("stopped by Ctrl-C: lines in flight may not have been answered"),
        }
    })?;
    if summary.refused > 0 {
        anyhow::bail!(
            "{} of {} lines were refused (see above); the other lines were fed",
            summary.refused,
            summary.refused + summary.accepted
        );
    }
    Ok(())
}

fn run_analyze(args: AnalyzeArgs) -> Result<()> {
    let scenario = load_scenario(&args.scenario)?;
    let analyzer = crate::engine::analysis::Analyzer::new(&scenario.rules);
    if let Some(path) = &args.eval {
        return run_eval(&analyzer, path, args.json);
    }
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    crate::engine::analysis::run_analyze(&analyzer, stdin, stdout).context("analysing stdin")?;
    Ok(())
}

/// `analyze --eval`: the figures of a labelled file, as text or one JSON object.
fn run_eval(analyzer: &crate::engine::analysis::Analyzer, path: &std::path::Path, json: bool) -> Result<()> {
    use crate::engine::analysis::eval;
    let file = eval::load(path)?;
    let report = eval::evaluate(analyzer, &path.display().to_string(), &file);
    let throughput = eval::throughput(analyzer, &file, std::time::Duration::from_millis(500));
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &eval::JsonOut { report: &report, throughput: &throughput })?;
        writeln!(out)?;
    } else {
        write!(out, "{}", eval::render(&report, &throughput))?;
    }
    out.flush().context("writing the evaluation to stdout")?;
    Ok(())
}

/// Where `callfloor console` connects: the URL and the token, from flags, environment and config file.
#[derive(Debug, Clone)]
pub struct ConsoleTarget {
    pub url: String,
    pub token: String,
}

/// Runs `callfloor console`: resolves options (flags over config file over defaults), sends logs to a file, and
/// runs the console on the chosen feed.
pub fn run_console(args: ConsoleArgs) -> Result<()> {
    use crate::console;
    use crate::local;
    let (opts, config) = console_setup(&args.ui)?;
    if args.local {
        let engine = Engine::new(load_scenario(&args.scenario)?, args.seed);
        let local_opts = local::LocalOptions { speed: parse_speed(&args.speed)?, ..Default::default() };
        let (updates, outgoing) = local::spawn(engine, local_opts);
        return console::run(opts, updates, outgoing);
    }
    let target = console_target(&args, &config)?;
    let client = crate::client::client_config(&target.url, target.token, args.ca.as_deref())?;
    tracing::info!(url = %target.url, "console target");
    let rt = tokio_runtime()?;
    let (updates, outgoing) = {
        let _guard = rt.enter();
        crate::client::spawn(client)
    };
    console::run(opts, updates, outgoing)
}

fn console_target(args: &ConsoleArgs, config: &crate::console::UserConfig) -> Result<ConsoleTarget> {
    let url = args.url.clone().or_else(|| config.url.clone()).ok_or_else(|| {
        anyhow::anyhow!(
            "give the engine's address with --url ws://HOST:PORT or wss://HOST:PORT (or `url` in the config file)"
        )
    })?;
    // The same order as `tail`: --token, then --token-file (or the config's), then CALLFLOOR_TOKEN.
    let token_file = args.token_file.as_deref().or(config.token_file.as_deref());
    let token =
        crate::client::resolve_token(args.token.as_deref(), token_file, std::env::var(crate::client::TOKEN_ENV).ok())?;
    Ok(ConsoleTarget { url, token })
}

/// Loads the config file, resolves theme, keymap, bell, mouse and confirmations (flags over config over
/// defaults), and sends logs to a file.
fn console_setup(ui: &UiArgs) -> Result<(crate::console::ConsoleOptions, crate::console::UserConfig)> {
    use crate::console::config::UiFlags;
    use crate::console::{self, ConsoleOptions, UserConfig};
    let config = UserConfig::load(ui.config.as_deref())?;
    let flags = UiFlags {
        theme: ui.theme.as_deref(),
        keymap: ui.keymap.as_deref(),
        no_bell: ui.no_bell,
        no_mouse: ui.no_mouse,
        no_confirm: ui.no_confirm,
    };
    let opts = ConsoleOptions::resolve(&flags, &config)?;
    let log_file = ui.log_file.clone().or_else(|| config.log_file.clone());
    console::init_logging(log_file.as_deref())?;
    Ok((opts, config))
}
