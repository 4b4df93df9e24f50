//! `mgpresence agent`: the keep-alive agent's command line over its store ([`mgpresence_agent`]).
//!
//! - `add` (one user, or a CSV / JSON-lines file as `bulk` takes), refused with the numbers when the holds would not
//!   fit the throttle budget, unless `--force`; `remove`; `list` / `status` (each hold's next renewal, last result,
//!   lapses), as text or `--json`;
//! - `run`: the agent in the foreground, for a service manager; it renews the holds until SIGTERM or Ctrl+C (the
//!   round in flight finishes), and answers on a loopback status address in Prometheus text format.

use clap::{Args, Subcommand};
use jiff::{Timestamp, Zoned};
use mgpresence_agent::registration::{hold_json, register};
use mgpresence_agent::{Capacity, Hold, HoldKey, KeepAliveAgent, KeepAliveStore};
use mgpresence_graph::auth::Credential;
use mgpresence_graph::{Cloud, GraphClient, GraphClientConfig};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Hold a user's presence (or many users' from a file) until removed or until a time.
    Add(AddArgs),
    /// Stop holding a user's presence.
    Remove(RemoveArgs),
    /// The holds, the earliest renewal first.
    List(StoreArgs),
    /// The holds with their state: next renewal, last result, lapses.
    Status(StatusArgs),
    /// Run the agent until stopped (SIGTERM, Ctrl+C).
    Run(RunArgs),
}

#[derive(Args)]
pub struct StoreArgs {
    /// The store file; a file in the user's data directory by default.
    #[arg(long, env = "MGPRESENCE_AGENT_STORE")]
    store: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// The throttle budget the holds share: the service's limit per application per tenant.
#[derive(Args, Clone, Copy)]
pub struct BudgetArgs {
    /// Requests the service takes per window from this application in this tenant.
    #[arg(long, default_value_t = Capacity::default().requests, value_parser = clap::value_parser!(u32).range(1..))]
    throttle_requests: u32,
    /// The throttle window, in seconds.
    #[arg(long, default_value_t = u32::try_from(Capacity::default().window.as_secs()).unwrap_or(30), value_parser = clap::value_parser!(u32).range(1..=3600))]
    throttle_window_seconds: u32,
}

impl BudgetArgs {
    fn capacity(self) -> Capacity {
        Capacity { requests: self.throttle_requests, window: jiff::SignedDuration::from_secs(i64::from(self.throttle_window_seconds)) }
    }
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    budget: BudgetArgs,
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    budget: BudgetArgs,
    /// The user (object id or user principal name); or --file.
    #[arg(long, required_unless_present = "file")]
    user: Option<String>,
    /// A CSV file with a UserId column (and optionally SessionId, Availability, Activity, Until), or JSON lines.
    #[arg(long, conflicts_with = "user")]
    file: Option<PathBuf>,
    /// The presence session: the application's client id.
    #[arg(long, env = "AZURE_CLIENT_ID")]
    session_id: Option<String>,
    #[arg(long)]
    availability: Option<String>,
    #[arg(long)]
    activity: Option<String>,
    /// When to stop holding (and clear): a time today (17:00) or an RFC 3339 instant.
    #[arg(long)]
    until: Option<String>,
    /// Add even when the holds do not fit the throttle budget (lapses will follow).
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    user: String,
    #[arg(long, env = "AZURE_CLIENT_ID")]
    session_id: String,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    budget: BudgetArgs,
    /// A Graph service root to use instead of the global cloud (the emulator's URL, say).
    #[arg(long, env = "MGPRESENCE_GRAPH_ENDPOINT")]
    endpoint: Option<String>,
    /// Where to answer health and metrics (Prometheus text at /metrics); loopback only.
    #[arg(long, default_value = "127.0.0.1:0")]
    status_address: SocketAddr,
    /// Renew (or clear) the holds due when it starts, in as many rounds as the budget needs, then stop (a renewal
    /// that fails is left for the next run); for tests and one-shot runs.
    #[arg(long)]
    once: bool,
}

/// The default store: `<data dir>/MgPresence/keepalive.db`.
fn store_path(args: &StoreArgs) -> Result<PathBuf, String> {
    match &args.store {
        Some(path) => Ok(path.clone()),
        None => mgpresence_agent::registration::default_store_path(),
    }
}

fn open(args: &StoreArgs) -> Result<KeepAliveStore, String> {
    KeepAliveStore::open(&store_path(args)?).map_err(|e| e.to_string())
}

/// `17:00` (today, local time) or an RFC 3339 instant.
fn parse_until(text: &str, now: &Zoned) -> Result<Timestamp, String> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant);
    }
    let time: jiff::civil::Time = text.parse().map_err(|_| format!("'{text}' is neither a time of day (17:00) nor an RFC 3339 instant"))?;
    let today = now.date().to_datetime(time).to_zoned(now.time_zone().clone()).map_err(|e| e.to_string())?;
    if today.timestamp() <= now.timestamp() {
        return Err(format!("{text} has passed today; give a later time or an instant"));
    }
    Ok(today.timestamp())
}

fn print_holds(holds: &[Hold], json_output: bool) -> Result<(), String> {
    if json_output {
        println!("{}", Value::Array(holds.iter().map(hold_json).collect()));
        return Ok(());
    }
    for h in holds {
        println!(
            "{}\t{}\t{}/{}\tuntil {}\tnext {}\tlast {}\tlapses {}",
            h.key.user_id,
            h.key.session_id,
            h.availability,
            h.activity,
            h.until.map_or("-".to_owned(), |t| t.to_string()),
            h.next_due,
            h.last_result.as_deref().unwrap_or("-"),
            h.lapses
        );
    }
    Ok(())
}

/// The rows to add: the one user, or the file's (each row's columns over the options).
fn rows(args: &AddArgs) -> Result<Vec<Map<String, Value>>, String> {
    let mut common = Map::new();
    for (name, value) in [("SessionId", &args.session_id), ("Availability", &args.availability), ("Activity", &args.activity), ("Until", &args.until)] {
        if let Some(v) = value {
            common.insert(name.into(), Value::String(v.clone()));
        }
    }
    let listed = match (&args.user, &args.file) {
        (Some(user), _) => vec![Map::from_iter([("UserId".to_owned(), Value::String(user.clone()))])],
        (None, Some(file)) => crate::read_table(file, file.extension().is_some_and(|e| e.eq_ignore_ascii_case("jsonl")))?,
        (None, None) => return Err("give --user or --file".into()),
    };
    Ok(listed
        .into_iter()
        .map(|row| {
            let mut merged = common.clone();
            merged.extend(row);
            merged
        })
        .collect())
}

fn add(args: &AddArgs) -> Result<(), String> {
    let mut store = open(&args.store)?;
    let now = Zoned::now();
    // A time of day for Until is today's, in local time: made an instant here, as the store takes it.
    let rows = rows(args)?
        .into_iter()
        .map(|mut row| {
            if let Some((name, Value::String(text))) = row.iter().find(|(k, _)| k.eq_ignore_ascii_case("Until")).map(|(k, v)| (k.clone(), v.clone())) {
                row.insert(name, Value::String(parse_until(&text, &now)?.to_string()));
            }
            Ok(row)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let added = register(&mut store, &rows, now.timestamp(), args.force, args.budget.capacity()).map_err(|e| e.to_string())?;
    if !args.store.json {
        eprintln!("{} hold(s) added to {}", added.len(), store.path().display());
    }
    print_holds(&added, args.store.json)
}

fn remove(args: &RemoveArgs) -> Result<(), String> {
    let store = open(&args.store)?;
    let key = HoldKey { user_id: args.user.clone(), session_id: args.session_id.clone() };
    if !store.remove(&key).map_err(|e| e.to_string())? {
        return Err(format!("no hold of {} for session {}", args.user, args.session_id));
    }
    Ok(())
}

fn status(args: &StatusArgs) -> Result<(), String> {
    let store = open(&args.store)?;
    let holds = store.list().map_err(|e| e.to_string())?;
    let capacity = args.budget.capacity();
    // Folded from 0.0: an f64 sum of nothing is -0.0, which would print as "-0".
    let needed = holds.iter().map(|h| capacity.renewals_per_window(h.availability)).fold(0.0, |a, b| a + b);
    let lapses: u64 = holds.iter().map(|h| u64::from(h.lapses)).sum();
    if args.store.json {
        println!(
            "{}",
            json!({
                "store": store.path().display().to_string(),
                "holds": holds.len(),
                "lapses": lapses,
                "renewalsPerWindow": needed,
                "budgetPerWindow": capacity.requests,
                "windowSeconds": capacity.window.as_secs(),
                "each": holds.iter().map(hold_json).collect::<Vec<_>>(),
            })
        );
        return Ok(());
    }
    println!(
        "{} hold(s) in {}; {needed:.0} of {} renewals per {} s; {lapses} lapse(s) so far",
        holds.len(),
        store.path().display(),
        capacity.requests,
        capacity.window.as_secs()
    );
    print_holds(&holds, false)
}

/// The agent's credential, from the environment as `Connect-MgGraph -EnvironmentVariable` takes it (or a token).
fn credential() -> Result<Credential, String> {
    let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(token) = variable("MGPRESENCE_ACCESS_TOKEN") {
        return Ok(Credential::AccessToken(SecretString::from(token)));
    }
    if let (Some(client_id), Some(tenant_id), Some(secret)) = (variable("AZURE_CLIENT_ID"), variable("AZURE_TENANT_ID"), variable("AZURE_CLIENT_SECRET")) {
        return Ok(Credential::ClientSecret { tenant_id, client_id, secret: SecretString::from(secret) });
    }
    if let (Some(client_id), Some(tenant_id), Some(path)) = (variable("AZURE_CLIENT_ID"), variable("AZURE_TENANT_ID"), variable("AZURE_CLIENT_CERTIFICATE_PATH")) {
        let bytes = std::fs::read(&path).map_err(|e| format!("AZURE_CLIENT_CERTIFICATE_PATH {path}: {e}"))?;
        let password = std::env::var("AZURE_CLIENT_CERTIFICATE_PASSWORD").ok();
        return Credential::client_certificate_from_file(&tenant_id, &client_id, &bytes, password.as_deref())
            .map_err(|e| format!("AZURE_CLIENT_CERTIFICATE_PATH {path}: {e}"));
    }
    if variable("IDENTITY_ENDPOINT").is_some() || variable("AZURE_CLIENT_ID").is_some() && variable("AZURE_TENANT_ID").is_none() {
        return Ok(Credential::ManagedIdentity {
            client_id: variable("AZURE_CLIENT_ID"),
            identity_endpoint: variable("IDENTITY_ENDPOINT"),
            identity_header: variable("IDENTITY_HEADER").map(SecretString::from),
            imds_endpoint: variable("IMDS_ENDPOINT"),
        });
    }
    Err("no credential: set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, a PEM with the key or a PFX, and AZURE_CLIENT_CERTIFICATE_PASSWORD), or IDENTITY_ENDPOINT and IDENTITY_HEADER (managed identity)".into())
}

/// What the status address reports.
#[derive(Default)]
struct Metrics {
    holds: AtomicU64,
    renewals: AtomicU64,
    clears: AtomicU64,
    failures: AtomicU64,
    late: AtomicU64,
    ended: AtomicU64,
    rounds: AtomicU64,
    deferred: AtomicU64,
    throttled: AtomicU64,
    budget_limit: AtomicU64,
}

impl Metrics {
    fn prometheus(&self) -> String {
        let line = |name: &str, kind: &str, help: &str, value: &AtomicU64| {
            format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}\n", value.load(Ordering::Relaxed))
        };
        [
            "# HELP mgpresence_agent_up Whether the agent is running.\n# TYPE mgpresence_agent_up gauge\nmgpresence_agent_up 1\n".to_owned(),
            line("mgpresence_agent_holds", "gauge", "Holds in the store.", &self.holds),
            line("mgpresence_agent_renewals_total", "counter", "Renewals the service took.", &self.renewals),
            line("mgpresence_agent_clears_total", "counter", "Holds cleared at their end.", &self.clears),
            line("mgpresence_agent_failures_total", "counter", "Renewals the service did not take (tried again).", &self.failures),
            line("mgpresence_agent_lapses_total", "counter", "Renewals sent after the session had faded or expired.", &self.late),
            line("mgpresence_agent_ended_total", "counter", "Holds ended because the service refused them for good.", &self.ended),
            line("mgpresence_agent_rounds_total", "counter", "Rounds run.", &self.rounds),
            line("mgpresence_agent_deferred", "gauge", "Holds due that the last round left for later: the budget had no room.", &self.deferred),
            line("mgpresence_agent_throttled_total", "counter", "Requests the service throttled (429) despite the budget.", &self.throttled),
            line("mgpresence_agent_budget_requests", "gauge", "Requests per window the budget allows now (lowered after 429s).", &self.budget_limit),
        ]
        .concat()
    }
}

/// How soon a sign-in that got no answer is tried again.
const SIGN_IN_RETRY: std::time::Duration = std::time::Duration::from_secs(15);

async fn run(args: &RunArgs) -> Result<(), String> {
    if !args.status_address.ip().is_loopback() {
        return Err(format!("{}: the status address must be a loopback address", args.status_address));
    }
    // Watched from the start, before the first line is printed: a stop from then on ends the agent cleanly.
    let mut stop = Box::pin(stop_requested()?);
    let store = open(&args.store)?;
    let _claim = store.claim_for_agent().map_err(|e| e.to_string())?;
    let cloud = match &args.endpoint {
        Some(endpoint) => Cloud::custom("Custom", endpoint, endpoint).map_err(|e| e.to_string())?,
        None => Cloud::built_in().into_iter().next().ok_or("no cloud")?,
    };
    let mut config = GraphClientConfig::new(cloud);
    config.credential = Some(credential()?);
    let client = GraphClient::new(config).map_err(|e| e.to_string())?;
    let metrics = Arc::new(Metrics::default());
    let listener = tokio::net::TcpListener::bind(args.status_address).await.map_err(|e| format!("{}: {e}", args.status_address))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let served = metrics.clone();
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .route(
            "/metrics",
            axum::routing::get(move || {
                let served = served.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], served.prometheus()) }
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    eprintln!("mgpresence agent: {} hold(s) in {}; status at http://{address}/metrics", store.count().unwrap_or(0), store.path().display());
    let capacity = args.budget.capacity();
    let budget = Arc::new(capacity.budget());
    let agent = KeepAliveAgent::with_budget(&store, &client, budget.clone());
    let started = Timestamp::now();
    loop {
        // The token is cached, so this asks the identity provider only when the token is near its end. A refused
        // credential (a wrong secret, a certificate the app does not have, one rotated away) stops the agent with
        // the provider's reason, so the service manager shows it and a restart reads the credential again; a
        // sign-in that got no answer is tried again.
        if let Err(e) = client.acquire_token().await {
            let refused = matches!(&e, mgpresence_graph::ClientError::Authentication(a) if a.is_refusal());
            if refused || args.once {
                return Err(format!("{e} (the holds stay in the store)"));
            }
            eprintln!("mgpresence agent: {e}; trying again in {} s", SIGN_IN_RETRY.as_secs());
            tokio::select! {
                () = &mut stop => {
                    eprintln!("mgpresence agent: stopped; the holds stay in the store");
                    return Ok(());
                }
                () = tokio::time::sleep(SIGN_IN_RETRY) => continue,
            }
        }
        let report = agent.round(Timestamp::now()).await.map_err(|e| e.to_string())?;
        metrics.deferred.store(report.deferred as u64, Ordering::Relaxed);
        metrics.throttled.store(budget.throttled_count(), Ordering::Relaxed);
        metrics.budget_limit.store(u64::from(budget.limit()), Ordering::Relaxed);
        metrics.rounds.fetch_add(1, Ordering::Relaxed);
        metrics.renewals.fetch_add(report.renewed as u64, Ordering::Relaxed);
        metrics.clears.fetch_add(report.cleared as u64, Ordering::Relaxed);
        metrics.failures.fetch_add(report.failed.len() as u64, Ordering::Relaxed);
        metrics.late.fetch_add(report.late.len() as u64, Ordering::Relaxed);
        metrics.ended.fetch_add(report.ended.len() as u64, Ordering::Relaxed);
        metrics.holds.store(store.count().unwrap_or(0) as u64, Ordering::Relaxed);
        for (key, why) in &report.ended {
            eprintln!("mgpresence agent: {} ({}) ended: {why}", key.user_id, key.session_id);
        }
        for line in failure_lines(&report.failed) {
            eprintln!("mgpresence agent: {line}");
        }
        for key in &report.late {
            eprintln!("mgpresence agent: {} ({}) lapsed before its renewal", key.user_id, key.session_id);
        }
        // Holds due again since it started (renewed in an early round of a long one) are the next run's.
        if args.once && store.due(started, 1).map_err(|e| e.to_string())?.is_empty() {
            return Ok(());
        }
        // The next round comes in a second (holds added meanwhile are taken up), or sooner when holds were left for
        // want of room and the budget frees some before then.
        let now = Timestamp::now();
        let wait = agent.next_round_at(&report, now, jiff::SignedDuration::from_secs(1)).duration_since(now).unsigned_abs();
        tokio::select! {
            () = &mut stop => {
                eprintln!("mgpresence agent: stopped; the holds stay in the store");
                return Ok(());
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The round's failures, a line for each reason (in the reasons' order): one hold by name, or how many with the
/// first few named, so a cause every hold shares (a wrong endpoint, a withdrawn permission) is one line a round
/// rather than one a hold.
fn failure_lines(failed: &[(HoldKey, String)]) -> Vec<String> {
    const NAMED: usize = 3;
    let mut reasons: std::collections::BTreeMap<&str, Vec<&HoldKey>> = std::collections::BTreeMap::new();
    for (key, why) in failed {
        reasons.entry(why).or_default().push(key);
    }
    reasons
        .into_iter()
        .map(|(why, keys)| {
            let named: Vec<String> = keys.iter().take(NAMED).map(|k| format!("{} ({})", k.user_id, k.session_id)).collect();
            match keys.len() {
                1 => format!("{} not renewed, trying again: {why}", named[0]),
                n if n <= NAMED => format!("{n} holds not renewed, trying again: {why} ({})", named.join(", ")),
                n => format!("{n} holds not renewed, trying again: {why} ({} and {} more)", named.join(", "), n - NAMED),
            }
        })
        .collect()
}

/// SIGTERM (a service manager) or Ctrl+C (on Windows also the console's close and shutdown, as service wrappers
/// send them). The handlers are installed when this is called, before the first round, so a stop that comes during
/// a round lets the round's batches finish and their outcomes be written, rather than end the process there.
fn stop_requested() -> Result<impl std::future::Future<Output = ()>, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
        let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| format!("cannot watch for Ctrl+C: {e}"))?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(windows)]
    {
        use tokio::signal::windows;
        let watch = |e: std::io::Error| format!("cannot watch for Ctrl+C: {e}");
        let mut ctrl_c = windows::ctrl_c().map_err(watch)?;
        let mut close = windows::ctrl_close().map_err(watch)?;
        let mut shutdown = windows::ctrl_shutdown().map_err(watch)?;
        Ok(async move {
            tokio::select! {
                _ = ctrl_c.recv() => {}
                _ = close.recv() => {}
                _ = shutdown.recv() => {}
            }
        })
    }
}

pub async fn agent(command: AgentCommand) -> Result<(), String> {
    match command {
        AgentCommand::Add(args) => add(&args),
        AgentCommand::Remove(args) => remove(&args),
        AgentCommand::List(args) => {
            let store = open(&args)?;
            print_holds(&store.list().map_err(|e| e.to_string())?, args.json)
        }
        AgentCommand::Status(args) => status(&args),
        AgentCommand::Run(args) => run(&args).await,
    }
}
