//! `mgpresence`: the command line of MgPresence.
//!
//! - `mgpresence serve` runs the local Graph presence emulator and prints its URL.
//! - `mgpresence set` / `mgpresence get` call Graph (or the emulator) through the same catalog cmdlets the PowerShell
//!   module uses, so both behave alike. Errors go to stderr with a non-zero exit code.
//! - `mgpresence agent` keeps presence alive past the service's limits ([`agent`]).

mod agent;

use clap::{Args, Parser, Subcommand};
use mgpresence_catalog::bulk::BulkAction as CatalogBulkAction;
use mgpresence_catalog::find_cmdlet;
use mgpresence_emulator::tls::TlsSource;
use mgpresence_emulator::{EmulatorConfig, RunningEmulator};
use mgpresence_graph::cmdlet_call::{self, CallOptions};
use mgpresence_graph::{Cloud, GraphClient, GraphClientConfig};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "mgpresence", version, about = "Microsoft Graph presence from the command line, and a local presence emulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local Graph presence emulator until interrupted.
    Serve(ServeArgs),
    /// Set the presence session of an application for a user (Set-MgUserPresence).
    Set(SetArgs),
    /// Get a user's presence (Get-MgUserPresence).
    Get(GetArgs),
    /// Set or clear the presence of many users from a CSV or JSON-lines file, through $batch.
    Bulk(BulkArgs),
    /// Keep presence alive past the service's limits: holds in a store, renewed by `agent run`.
    Agent {
        #[command(subcommand)]
        command: agent::AgentCommand,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BulkAction {
    Set,
    Clear,
    SetPreferred,
    ClearPreferred,
}

#[derive(Args)]
struct BulkArgs {
    #[command(flatten)]
    connection: Connection,
    /// A CSV file with a UserId column (and optionally SessionId, Availability, Activity, ExpirationDuration), or a
    /// JSON-lines file of such objects (`.jsonl`, or --jsonl).
    #[arg(long)]
    file: std::path::PathBuf,
    /// Read the file as JSON lines.
    #[arg(long)]
    jsonl: bool,
    #[arg(long, value_enum, default_value = "set")]
    action: BulkAction,
    #[arg(long)]
    session_id: Option<String>,
    #[arg(long)]
    availability: Option<String>,
    #[arg(long)]
    activity: Option<String>,
    /// ISO 8601 duration.
    #[arg(long)]
    expiration_duration: Option<String>,
    /// Batches in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=16))]
    concurrency: u16,
    /// Retries of throttled or unavailable requests (Microsoft's default is 3).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(0..=10))]
    max_retries: u16,
    /// Write the outcomes (JSON lines) here instead of standard output.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The address to listen on. Loopback by default; the emulator has no real authentication.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Accept only this bearer token (any non-empty token otherwise).
    #[arg(long, env = "MGPRESENCE_EMULATOR_TOKEN", hide_env_values = true, conflicts_with = "require_issued_tokens")]
    token: Option<String>,
    /// Graph endpoints accept only tokens the emulator's identity provider issued, with the needed permissions.
    #[arg(long)]
    require_issued_tokens: bool,
    /// Serve HTTPS, with a certificate the emulator makes for localhost, 127.0.0.1 and ::1 (signed by a CA it makes
    /// and writes as PEM; see --ca-file) or the one --tls-cert and --tls-key give.
    #[arg(long)]
    https: bool,
    /// Where to write the CA certificate of the made certificate (PEM), for clients to trust; a file in the temporary
    /// directory by default. Its path is printed.
    #[arg(long, value_name = "FILE", requires = "https", conflicts_with_all = ["tls_cert", "tls_key"])]
    ca_file: Option<std::path::PathBuf>,
    /// Your own server certificate chain (PEM) for --https.
    #[arg(long, value_name = "FILE", requires_all = ["https", "tls_key"])]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires_all = ["https", "tls_cert"])]
    tls_key: Option<std::path::PathBuf>,
    /// A JSON file with the tenant, apps (client ids, secrets, PEM certificates, roles, scopes) and users the identity
    /// provider knows; without it, the demo directory of docs/emulator.md.
    #[arg(long, value_name = "FILE")]
    directory: Option<std::path::PathBuf>,
    /// Requests per application per tenant in one throttling window.
    #[arg(long, default_value_t = 10_000)]
    throttle_requests: u32,
    /// Reads (GET, getPresencesByUserId) per application per tenant in one throttling window.
    #[arg(long, default_value_t = 1_500)]
    throttle_reads: u32,
    /// The throttling window in seconds.
    #[arg(long, default_value_t = 30)]
    throttle_window_seconds: u32,
    /// How many of the newest requests `GET /_emulator/requests` keeps; older ones are dropped.
    #[arg(long, value_name = "N", default_value_t = mgpresence_emulator::server::DEFAULT_REQUEST_LOG_LIMIT)]
    request_log_limit: usize,
    /// Turn throttling off.
    #[arg(long)]
    no_throttling: bool,
    /// Share (0..1) of requests answered 429 at random.
    #[arg(long, default_value_t = 0.0)]
    fault_429_rate: f64,
    /// Share (0..1) of requests answered 503 at random.
    #[arg(long, default_value_t = 0.0)]
    fault_503_rate: f64,
    /// Share (0..1) of requests answered 504 at random.
    #[arg(long, default_value_t = 0.0)]
    fault_504_rate: f64,
    /// Share (0..1) of requests whose connection is cut without an answer.
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Share (0..1) of requests delayed by --delay-ms.
    #[arg(long, default_value_t = 0.0)]
    delay_rate: f64,
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

#[derive(Args)]
struct Connection {
    /// A Graph service root to use instead of a national cloud, e.g. the emulator's URL.
    #[arg(long, env = "MGPRESENCE_GRAPH_ENDPOINT")]
    endpoint: Option<String>,
    /// The national cloud: Global, China, USGov or USGovDoD.
    #[arg(long, default_value = "Global")]
    environment: String,
    /// The environment variable that holds the access token.
    #[arg(long, default_value = "MGPRESENCE_ACCESS_TOKEN")]
    token_variable: String,
    /// Use the beta API.
    #[arg(long)]
    beta: bool,
}

#[derive(Args)]
struct SetArgs {
    #[command(flatten)]
    connection: Connection,
    #[arg(long)]
    user_id: String,
    /// The application's client ID.
    #[arg(long)]
    session_id: String,
    #[arg(long)]
    availability: String,
    #[arg(long)]
    activity: String,
    /// ISO 8601 duration, PT5M to PT4H.
    #[arg(long)]
    expiration_duration: Option<String>,
}

#[derive(Args)]
struct GetArgs {
    #[command(flatten)]
    connection: Connection,
    #[arg(long)]
    user_id: String,
}

fn client(connection: &Connection) -> Result<GraphClient, String> {
    client_with_retries(connection, None)
}

fn client_with_retries(connection: &Connection, max_retries: Option<usize>) -> Result<GraphClient, String> {
    let cloud = match &connection.endpoint {
        Some(endpoint) => Cloud::custom("Custom", endpoint, endpoint).map_err(|e| e.to_string())?,
        None => Cloud::built_in()
            .into_iter()
            .find(|c| c.name.eq_ignore_ascii_case(&connection.environment))
            .ok_or_else(|| format!("unknown environment '{}': use Global, China, USGov or USGovDoD", connection.environment))?,
    };
    let token = std::env::var(&connection.token_variable)
        .map_err(|_| format!("no access token: set the environment variable {}", connection.token_variable))?;
    let mut config = GraphClientConfig::new(cloud);
    config.credential = Some(mgpresence_graph::Credential::AccessToken(SecretString::from(token)));
    if let Some(retries) = max_retries {
        config.retry.max_retries = retries;
    }
    GraphClient::new(config).map_err(|e| e.to_string())
}

async fn call(connection: &Connection, verb_noun: &str, set: &str, bound: Value) -> Result<Vec<Value>, String> {
    let name = if connection.beta { verb_noun.replacen("-Mg", "-MgBeta", 1) } else { verb_noun.to_owned() };
    let cmdlet = find_cmdlet(&name).ok_or_else(|| format!("no cmdlet {name}"))?;
    let client = client(connection)?;
    let bound: Map<String, Value> = bound.as_object().cloned().unwrap_or_default();
    let result = cmdlet_call::run(Some(&client), &cmdlet, set, &bound, &CallOptions::default()).await;
    match result.error {
        Some(e) => Err(e.describe()),
        None => Ok(result.output),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => {
            let mut config = EmulatorConfig {
                bind: SocketAddr::new(args.bind, args.port),
                expected_token: args.token,
                require_issued_tokens: args.require_issued_tokens,
                throttle: mgpresence_emulator::throttle::ThrottleLimits {
                    enabled: !args.no_throttling,
                    requests: args.throttle_requests,
                    reads: args.throttle_reads,
                    window_seconds: args.throttle_window_seconds,
                },
                fault_rates: mgpresence_emulator::throttle::FaultRates {
                    throttled: args.fault_429_rate,
                    unavailable: args.fault_503_rate,
                    gateway_timeout: args.fault_504_rate,
                    reset: args.reset_rate,
                    delayed: args.delay_rate,
                    delay_ms: args.delay_ms,
                    retry_after_seconds: 1,
                },
                request_log_limit: args.request_log_limit,
                ..EmulatorConfig::default()
            };
            if args.https {
                config.tls = Some(match (args.tls_cert, args.tls_key, args.ca_file) {
                    (Some(certificate), Some(key), _) => TlsSource::Files { certificate, key },
                    (_, _, Some(ca_path)) => TlsSource::Generated { ca_path },
                    _ => TlsSource::generated_in_temp_dir(),
                });
            }
            let ca_path = match &config.tls {
                Some(TlsSource::Generated { ca_path }) => Some(ca_path.clone()),
                _ => None,
            };
            if let Some(path) = &args.directory {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                config.directory = serde_json::from_str(&text).map_err(|e| format!("{} is not a directory file: {e}", path.display()))?;
            }
            let emulator = RunningEmulator::start(config).await.map_err(|e| format!("cannot start the emulator: {e}"))?;
            println!("MgPresence emulator listening on {}", emulator.url);
            if let Some(path) = ca_path {
                println!("CA certificate of its HTTPS certificate: {} (trust it: {}=<that path>)", path.display(), mgpresence_graph::client::TRUSTED_CA_VARIABLE);
            }
            std::io::stdout().flush().map_err(|e| e.to_string())?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = async { emulator.wait().await } => {}
            }
            Ok(())
        }
        Command::Set(args) => {
            let mut bound = json!({
                "UserId": args.user_id, "SessionId": args.session_id,
                "Availability": args.availability, "Activity": args.activity,
            });
            if let Some(d) = args.expiration_duration {
                bound["ExpirationDuration"] = Value::String(d);
            }
            call(&args.connection, "Set-MgUserPresence", "SetExpanded", bound).await?;
            Ok(())
        }
        Command::Bulk(args) => bulk(args).await,
        Command::Agent { command } => agent::agent(command).await,
        Command::Get(args) => {
            let output = call(&args.connection, "Get-MgUserPresence", "Get", json!({"UserId": args.user_id})).await?;
            for item in output {
                // A model object carries the service's JSON, which is what the CLI prints.
                let item = match item {
                    Value::Object(mut map) => map.shift_remove(mgpresence_catalog::response::VALUE_MEMBER).unwrap_or(Value::Object(map)),
                    other => other,
                };
                println!("{}", serde_json::to_string_pretty(&item).map_err(|e| e.to_string())?);
            }
            Ok(())
        }
    }
}

/// The rows of a CSV or JSON-lines file, as bound-parameter objects.
fn read_rows(args: &BulkArgs) -> Result<Vec<Map<String, Value>>, String> {
    read_table(&args.file, args.jsonl || args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("jsonl")))
}

/// The rows of a CSV file (a header line, then values; empty cells left out) or of a JSON-lines file.
pub(crate) fn read_table(path: &std::path::Path, jsonl: bool) -> Result<Vec<Map<String, Value>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if jsonl {
        return text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| match serde_json::from_str::<Value>(l) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(format!("{} line {}: not a JSON object", path.display(), n + 1)),
            })
            .collect();
    }
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(headers.iter().zip(record.iter()).filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_owned(), Value::String(v.to_owned()))).collect())
        })
        .collect()
}

async fn bulk(args: BulkArgs) -> Result<(), String> {
    let action = match args.action {
        BulkAction::Set => CatalogBulkAction::SetPresence,
        BulkAction::Clear => CatalogBulkAction::ClearPresence,
        BulkAction::SetPreferred => CatalogBulkAction::SetUserPreferredPresence,
        BulkAction::ClearPreferred => CatalogBulkAction::ClearUserPreferredPresence,
    };
    let version = if args.connection.beta { mgpresence_catalog::ApiVersion::Beta } else { mgpresence_catalog::ApiVersion::V1 };
    let cmdlet = action.cmdlet(version);
    let set = action.parameter_set(version);
    let mut common = Map::new();
    for (name, value) in [
        ("SessionId", &args.session_id),
        ("Availability", &args.availability),
        ("Activity", &args.activity),
        ("ExpirationDuration", &args.expiration_duration),
    ] {
        if let Some(v) = value {
            common.insert(name.to_owned(), Value::String(v.clone()));
        }
    }
    let items: Vec<mgpresence_graph::bulk::BulkItem> =
        read_rows(&args)?.iter().map(|row| mgpresence_graph::bulk::BulkItem::of_action(action, version, &common, row)).collect();
    let total = items.len() as u64;
    let client = client_with_retries(&args.connection, Some(usize::from(args.max_retries)))?;
    let options = mgpresence_graph::bulk::BulkOptions { concurrency: usize::from(args.concurrency), ..Default::default() };
    let progress = indicatif::ProgressBar::new(total);
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} users {per_sec} eta {eta}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let cancel = options.cancel.clone();
    let run = mgpresence_graph::bulk::run_bulk(&client, &cmdlet, &set, items, &options);
    tokio::pin!(run);
    let outcomes = loop {
        tokio::select! {
            outcomes = &mut run => break outcomes,
            _ = tokio::signal::ctrl_c() => cancel.cancel(),
            () = tokio::time::sleep(std::time::Duration::from_millis(100)) => progress.set_position(options.done.load(std::sync::atomic::Ordering::Relaxed) as u64),
        }
    };
    progress.finish_and_clear();
    let mut lines = String::new();
    for o in &outcomes {
        let line = json!({
            "userId": o.key, "succeeded": o.error.is_none(), "status": o.status,
            "errorCode": o.error_code(),
            "errorMessage": o.error_summary(),
            "attempts": o.attempts,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    match &args.output {
        Some(path) => std::fs::write(path, lines).map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print!("{lines}"),
    }
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    eprintln!("mgpresence: {} of {} users applied, {failed} failed", outcomes.len() - failed, outcomes.len());
    if failed > 0 { Err(format!("{failed} users were not applied; see their outcomes")) } else { Ok(()) }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("MGPRESENCE_LOG")).with_writer(std::io::stderr).init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mgpresence: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mgpresence: {message}");
            ExitCode::FAILURE
        }
    }
}
