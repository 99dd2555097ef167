//! Command-line interface: the clap definitions and the dispatch to each mode.

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::Engine;
use crate::engine::headless::{self, RunOptions};
use crate::engine::sim::clock::{Speed, parse_duration};
use crate::engine::sim::scenario::{BUNDLED, DEFAULT_SCENARIO, Scenario};

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
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Scenario: a bundled name or the path of a scenario file.
    #[arg(long, default_value = DEFAULT_SCENARIO, global = false)]
    pub scenario: String,
    /// Floor-seconds per wall-second (a number, or `max`).
    #[arg(long, default_value = "10")]
    pub speed: String,
    /// Seed of the simulation's randomness.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
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
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Scenario whose keyword rules to apply: a bundled name or a path.
    #[arg(long, default_value = DEFAULT_SCENARIO)]
    pub scenario: String,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Engine to connect to, e.g. ws://127.0.0.1:7700 (default: `url` in the config file).
    #[arg(long, env = "CALLFLOOR_URL")]
    pub url: Option<String>,
    /// Access token (prefer --token-file or the CALLFLOOR_TOKEN variable: a flag shows in `ps`).
    #[arg(long, env = "CALLFLOOR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// File holding the access token.
    #[arg(long)]
    pub token_file: Option<std::path::PathBuf>,
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
    /// Log file (default: ~/.local/state/callfloor/console.log).
    #[arg(long)]
    pub log_file: Option<std::path::PathBuf>,
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
    }
}

fn load_scenario(name: &str) -> Result<Scenario> {
    Ok(Scenario::load(name)?)
}

fn parse_speed(s: &str) -> Result<Speed> {
    s.parse::<Speed>().map_err(|e| anyhow::anyhow!("--speed: {e}"))
}

fn run_demo(args: DemoArgs) -> Result<()> {
    // Until the console lands, the demo is a headless run of the default scenario with live progress.
    let scenario = load_scenario(&args.scenario)?;
    let mut engine = Engine::new(scenario, args.seed);
    let opts = RunOptions {
        seed: args.seed,
        speed: parse_speed(&args.speed)?,
        duration: chrono::Duration::minutes(30),
        progress: true,
    };
    let summary = headless::run(&mut engine, &opts);
    println!("{}", summary.to_text());
    Ok(())
}

fn run_engine(args: EngineArgs) -> Result<()> {
    let scenario = load_scenario(&args.scenario)?;
    let duration = parse_duration(&args.duration).map_err(|e| anyhow::anyhow!("--duration: {e}"))?;
    if duration <= chrono::Duration::zero() {
        bail!("--duration: give a floor time longer than zero, e.g. 60m");
    }
    let speed = parse_speed(&args.speed)?;
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

fn run_analyze(args: AnalyzeArgs) -> Result<()> {
    let scenario = load_scenario(&args.scenario)?;
    let analyzer = crate::engine::analysis::Analyzer::new(&scenario.rules);
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    crate::engine::analysis::run_analyze(&analyzer, stdin, stdout).context("analysing stdin")?;
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
    use crate::console::{self, ConsoleOptions, UserConfig, local};
    let config = UserConfig::load(args.config.as_deref())?;
    let opts = ConsoleOptions::resolve(args.theme.as_deref(), args.keymap.as_deref(), args.no_bell, &config)?;
    let log_file = args.log_file.clone().or_else(|| config.log_file.clone());
    console::init_logging(log_file.as_deref())?;
    if args.local {
        let engine = Engine::new(load_scenario(&args.scenario)?, args.seed);
        let local_opts = local::LocalOptions { speed: parse_speed(&args.speed)?, ..Default::default() };
        let (updates, outgoing) = local::spawn(engine, local_opts);
        return console::run(opts, updates, outgoing);
    }
    let target = console_target(&args, &config)?;
    tracing::info!(url = %target.url, "console target");
    bail!(
        "connecting to {} needs the WebSocket client, which this build does not have yet; run `callfloor` for the demo",
        target.url
    )
}

fn console_target(args: &ConsoleArgs, config: &crate::console::UserConfig) -> Result<ConsoleTarget> {
    let url = args.url.clone().or_else(|| config.url.clone()).ok_or_else(|| {
        anyhow::anyhow!("give the engine's address with --url ws://HOST:PORT (or `url` in the config file)")
    })?;
    let token = match (&args.token, args.token_file.as_ref().or(config.token_file.as_ref())) {
        (Some(t), _) => t.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the token file {}", path.display()))?
            .trim()
            .to_string(),
        (None, None) => bail!("give an access token with --token-file, the CALLFLOOR_TOKEN variable, or --token"),
    };
    Ok(ConsoleTarget { url, token })
}

/// Names of the bundled scenarios, for messages.
pub fn bundled_names() -> Vec<&'static str> {
    BUNDLED.iter().map(|(n, _)| *n).collect()
}
