//! Bulk calls: one cmdlet call for many items (users), sent through JSON `$batch` (at most 20 requests per batch,
//! a few batches in flight), with the items that were throttled or unavailable (429, 503, 504) sent again after their
//! `Retry-After` (or a backoff) until the retry policy gives up. Every item ends with an outcome — applied, or the
//! error that stopped it, or "not sent" when the run was cancelled — so nothing fails unseen.

use crate::client::{GraphClient, SendOptions};
use crate::cmdlet_call::error_of_client;
use crate::retry::{is_retryable, retry_after};
use backon::BackoffBuilder;
use futures::StreamExt;
use mgpresence_catalog::binding::{self, CmdletError, ErrorCategory, PreparedRequest};
use mgpresence_catalog::{Cmdlet, HttpMethod};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// The most requests Graph takes in one `$batch`.
pub const MAX_BATCH: usize = 20;

/// One item of a bulk call: a key to report it by (the user id) and its bound parameters.
#[derive(Debug, Clone)]
pub struct BulkItem {
    pub key: String,
    pub bound: Map<String, Value>,
}

/// What happened to one item.
#[derive(Debug, Clone)]
pub struct BulkOutcome {
    pub key: String,
    /// The final HTTP status of the item; 0 when it was never sent.
    pub status: u16,
    pub error: Option<CmdletError>,
    /// How many times the item was sent.
    pub attempts: u32,
}

/// How to run a bulk call.
#[derive(Clone)]
pub struct BulkOptions {
    /// Batches in flight at once.
    pub concurrency: usize,
    /// Set to stop: items not yet sent end as "not sent".
    pub cancel: Arc<AtomicBool>,
    /// Items finished so far (for progress).
    pub done: Arc<AtomicUsize>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self { concurrency: 4, cancel: Arc::new(AtomicBool::new(false)), done: Arc::new(AtomicUsize::new(0)) }
    }
}

struct Pending {
    index: usize,
    request: PreparedRequest,
}

fn batch_body(items: &[Pending]) -> Value {
    let requests: Vec<Value> = items
        .iter()
        .map(|p| {
            let mut url = p.request.path.clone();
            if !p.request.query.is_empty() {
                url.push('?');
                url.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&p.request.query).finish());
            }
            let mut headers: Map<String, Value> = p.request.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            let mut request = json!({"id": p.index.to_string(), "method": p.request.method.as_str(), "url": url});
            if let Some(body) = &p.request.body {
                headers.insert("Content-Type".into(), Value::String("application/json".into()));
                request["body"] = body.clone();
            }
            if !headers.is_empty() {
                request["headers"] = Value::Object(headers);
            }
            request
        })
        .collect();
    json!({ "requests": requests })
}

/// The result of one item in one round.
enum ItemResult {
    Done(u16),
    Failed(u16, CmdletError),
    /// Send again, not before this wait.
    Retry(u16, Option<Duration>, CmdletError),
}

async fn send_batch(client: &GraphClient, items: &[Pending]) -> Vec<(usize, ItemResult)> {
    let version = items[0].request.version;
    let request = PreparedRequest { version, method: HttpMethod::Post, path: "/$batch".into(), query: Vec::new(), headers: Vec::new(), body: Some(batch_body(items)) };
    let outer = client.send(&request, &SendOptions::default()).await;
    let response = match outer {
        Ok(r) if r.status == 200 => r,
        Ok(r) => {
            // The batch itself was refused (throttled, unavailable, …): every item shares its fate.
            let error = mgpresence_catalog::response::error_of_response(r.status, &r.reason, &r.headers, &r.body);
            let wait = retry_after(r.header("Retry-After"), SystemTime::now());
            return items
                .iter()
                .map(|p| {
                    let result = if is_retryable(r.status) { ItemResult::Retry(r.status, wait, error.clone()) } else { ItemResult::Failed(r.status, error.clone()) };
                    (p.index, result)
                })
                .collect();
        }
        Err(e) => {
            let error = error_of_client(&e);
            return items.iter().map(|p| (p.index, ItemResult::Retry(0, None, error.clone()))).collect();
        }
    };
    let body = response.json().unwrap_or(Value::Null);
    let answers = body.get("responses").and_then(Value::as_array).cloned().unwrap_or_default();
    items
        .iter()
        .map(|p| {
            let id = p.index.to_string();
            let Some(answer) = answers.iter().find(|a| a.get("id").and_then(Value::as_str) == Some(id.as_str())) else {
                let error = CmdletError {
                    error_id: "MissingBatchResponse".into(),
                    message: "The $batch response had no answer for this request.".into(),
                    category: ErrorCategory::InvalidOperation,
                    terminating: false,
                };
                return (p.index, ItemResult::Retry(0, None, error));
            };
            let status = answer.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
            if (200..300).contains(&status) {
                return (p.index, ItemResult::Done(status));
            }
            let headers: Vec<(String, String)> = answer
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
                .unwrap_or_default();
            let item_body = answer.get("body").map(|b| serde_json::to_vec(b).unwrap_or_default()).unwrap_or_default();
            let error = mgpresence_catalog::response::error_of_response(status, "", &headers, &item_body);
            if is_retryable(status) {
                let wait = retry_after(headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after")).map(|(_, v)| v.as_str()), SystemTime::now());
                (p.index, ItemResult::Retry(status, wait, error))
            } else {
                (p.index, ItemResult::Failed(status, error))
            }
        })
        .collect()
}

/// When the service last asked to wait: no batch is sent before this instant.
#[derive(Default)]
struct ThrottleGate {
    not_before: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl ThrottleGate {
    async fn wait(&self) {
        let until = *self.not_before.lock().expect("gate lock");
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    fn hold(&self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        let mut not_before = self.not_before.lock().expect("gate lock");
        if not_before.is_none_or(|current| current < until) {
            *not_before = Some(until);
        }
    }
}

/// Runs `cmdlet` (parameter set `parameter_set`) for every item.
pub async fn run_bulk(client: &GraphClient, cmdlet: &Cmdlet, parameter_set: &str, items: Vec<BulkItem>, options: &BulkOptions) -> Vec<BulkOutcome> {
    let mut outcomes: Vec<BulkOutcome> =
        items.iter().map(|i| BulkOutcome { key: i.key.clone(), status: 0, error: None, attempts: 0 }).collect();
    let mut pending: Vec<Pending> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match binding::prepare(cmdlet, parameter_set, &item.bound) {
            Ok(call) => pending.push(Pending { index, request: call.request }),
            Err(e) => {
                outcomes[index].error = Some(e);
                options.done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let policy = client.config().retry;
    let mut backoff = policy.backoff().build();
    let gate = ThrottleGate::default();
    let mut round = 0usize;
    while !pending.is_empty() {
        if options.cancel.load(Ordering::SeqCst) {
            break;
        }
        round += 1;
        let chunks: Vec<&[Pending]> = pending.chunks(MAX_BATCH).collect();
        let results: Vec<(usize, ItemResult)> = futures::stream::iter(chunks)
            .map(|chunk| {
                let gate = &gate;
                async move {
                    gate.wait().await;
                    if options.cancel.load(Ordering::SeqCst) {
                        return Vec::new();
                    }
                    let results = send_batch(client, chunk).await;
                    // A Retry-After anywhere in the answer holds every later batch back.
                    if let Some(wait) = results.iter().filter_map(|(_, r)| if let ItemResult::Retry(_, Some(w), _) = r { Some(*w) } else { None }).max() {
                        gate.hold(wait.min(policy.max_delay));
                    }
                    results
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .flat_map(futures::stream::iter)
            .collect()
            .await;
        let mut retry: Vec<usize> = Vec::new();
        let mut wait: Option<Duration> = None;
        for (index, result) in results {
            let outcome = &mut outcomes[index];
            outcome.attempts += 1;
            match result {
                ItemResult::Done(status) => {
                    outcome.status = status;
                    outcome.error = None;
                    options.done.fetch_add(1, Ordering::Relaxed);
                }
                ItemResult::Failed(status, error) => {
                    outcome.status = status;
                    outcome.error = Some(error);
                    options.done.fetch_add(1, Ordering::Relaxed);
                }
                ItemResult::Retry(status, after, error) => {
                    outcome.status = status;
                    outcome.error = Some(error);
                    wait = match (wait, after) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    retry.push(index);
                }
            }
        }
        let planned = backoff.next();
        if retry.is_empty() || round > policy.max_retries {
            // Out of retries: the last error stays in the outcome.
            options.done.fetch_add(retry.len(), Ordering::Relaxed);
            break;
        }
        let pause = wait.map_or(planned.unwrap_or_default(), |w| w.min(policy.max_delay));
        pending.retain(|p| retry.contains(&p.index));
        tokio::time::sleep(pause).await;
        gate.wait().await;
    }
    if options.cancel.load(Ordering::SeqCst) {
        for outcome in outcomes.iter_mut().filter(|o| o.status == 0 && o.error.is_none()) {
            outcome.error = Some(CmdletError {
                error_id: "NotSent".into(),
                message: "The bulk run was stopped before this item was sent.".into(),
                category: ErrorCategory::OperationStopped,
                terminating: false,
            });
        }
    }
    outcomes
}
