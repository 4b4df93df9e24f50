//! Bulk calls: one cmdlet call for many items (users), sent through JSON `$batch` (at most 20 requests per batch,
//! a few batches in flight), with the items that were throttled or unavailable (429, 503, 504) sent again after their
//! `Retry-After` (or a backoff) until the retry policy gives up. Every item ends with an outcome — applied, or the
//! error that stopped it, or "not sent" when the run was cancelled — so nothing fails unseen.

use crate::budget::RequestBudget;
use crate::cancel::Cancellation;
use crate::client::{GraphClient, SendOptions};
use crate::cmdlet_call::error_of_client;
use crate::retry::{is_retryable, retry_after};
use backon::BackoffBuilder;
use mgpresence_catalog::binding::{self, CmdletError, ErrorCategory, PreparedRequest};
use mgpresence_catalog::bulk::BulkAction;
use mgpresence_catalog::{ApiVersion, Cmdlet, HttpMethod};
use serde_json::{Map, Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// The error id of an item that was not sent (the run was stopped, or the budget had no room).
pub const NOT_SENT: &str = "NotSent";

/// The most requests Graph takes in one `$batch`.
pub const MAX_BATCH: usize = 20;

/// One item of a bulk call: a key to report it by (the user id) and its bound parameters.
#[derive(Debug, Clone)]
pub struct BulkItem {
    pub key: String,
    pub bound: Map<String, Value>,
}

impl BulkItem {
    /// The item of a bulk `action` for one row: the row's members over the `common` ones (the catalog's rule),
    /// reported by its UserId.
    pub fn of_action(action: BulkAction, version: ApiVersion, common: &Map<String, Value>, row: &Map<String, Value>) -> Self {
        let bound = action.item_bound(version, common, row);
        let key = bound.get("UserId").and_then(Value::as_str).unwrap_or_default().to_owned();
        Self { key, bound }
    }
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
    /// Whether the last answer was the `$batch` request's own (refused, or no answer at all), which every item of
    /// that batch shares: it says nothing of the item itself (a wrong endpoint, an app without permission), so a
    /// caller must not take it as the service's word on the item.
    pub whole_batch: bool,
}

impl BulkOutcome {
    /// The error id, when the item was not applied.
    pub fn error_code(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.error_id.as_str())
    }

    /// The first line of the error message: the Graph message, without the Status/ErrorCode/Headers block.
    pub fn error_summary(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.message.lines().next().unwrap_or_default())
    }
}

/// How to run a bulk call.
#[derive(Clone)]
pub struct BulkOptions {
    /// Batches in flight at once.
    pub concurrency: usize,
    /// Cancel to stop: no further batch is sent, waits for a Retry-After end at once, and items not yet sent end as
    /// "not sent" (batches already out are answered and recorded).
    pub cancel: Cancellation,
    /// Items finished so far (for progress).
    pub done: Arc<AtomicUsize>,
    /// A request budget shared with other runs (the keep-alive agent's): every batch takes its requests from it
    /// before it is sent, and a 429 pauses it. `None`: the service's 429s alone pace the run.
    pub budget: Option<Arc<RequestBudget>>,
    /// With a budget: wait (in real time) for room before each batch, or, when `false`, end the batch's items as
    /// "not sent" at once (a caller that schedules its own rounds, as the keep-alive agent does, sends them later).
    pub wait_for_budget: bool,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self { concurrency: 4, cancel: Cancellation::new(), done: Arc::new(AtomicUsize::new(0)), budget: None, wait_for_budget: true }
    }
}

struct Pending {
    index: usize,
    request: PreparedRequest,
    /// Not sent again before this (a retry's backoff).
    not_before: Option<tokio::time::Instant>,
}

fn batch_body(items: &[Pending]) -> Value {
    let requests: Vec<Value> = items
        .iter()
        .map(|p| {
            let mut url = p.request.path.clone();
            if !p.request.query.is_empty() {
                url.push('?');
                url.push_str(&mgpresence_catalog::binding::query_string(&p.request.query));
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

/// The batch's answer for each item, and whether that answer is the batch's own (shared by every item).
async fn send_batch(client: &GraphClient, items: &[Pending]) -> (bool, Vec<(usize, ItemResult)>) {
    let version = items[0].request.version;
    let request = PreparedRequest { version, method: HttpMethod::Post, path: "/$batch".into(), query: Vec::new(), headers: Vec::new(), body: Some(batch_body(items)) };
    let outer = client.send(&request, &SendOptions::default()).await;
    let response = match outer {
        Ok(r) if r.status == 200 => r,
        Ok(r) => {
            // The batch itself was refused (throttled, unavailable, …): every item shares its fate.
            let error = mgpresence_catalog::response::error_of_response(r.status, &r.reason, &r.headers, &r.body);
            let wait = retry_after(r.header("Retry-After"), SystemTime::now());
            let results = items
                .iter()
                .map(|p| {
                    let result = if is_retryable(r.status) { ItemResult::Retry(r.status, wait, error.clone()) } else { ItemResult::Failed(r.status, error.clone()) };
                    (p.index, result)
                })
                .collect();
            return (true, results);
        }
        Err(e) => {
            let error = error_of_client(&e);
            return (true, items.iter().map(|p| (p.index, ItemResult::Retry(0, None, error.clone()))).collect());
        }
    };
    let body = response.json().unwrap_or(Value::Null);
    let answers = body.get("responses").and_then(Value::as_array).cloned().unwrap_or_default();
    let results = items
        .iter()
        .map(|p| {
            let id = p.index.to_string();
            let Some(answer) = answers.iter().find(|a| a.get("id").and_then(Value::as_str) == Some(id.as_str())) else {
                let error = CmdletError {
                    error_id: "MissingBatchResponse".into(),
                    message: "The $batch response had no answer for this request.".into(),
                    category: ErrorCategory::InvalidOperation,
                    terminating: false,
                    service: None,
                };
                return (p.index, ItemResult::Retry(0, None, error));
            };
            // A status that is not an HTTP status (negative, over 65535) counts as no status, never as a wrapped one.
            let status = answer.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()).unwrap_or(0);
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
        .collect();
    (false, results)
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
///
/// The items wait in one queue that `options.concurrency` workers take batches from. An item answered with a
/// Retry-After goes back to the front of the queue and closes the gate for every worker until then, so it is sent
/// again as soon as the service allows, before items not yet tried; an item to retry without Retry-After goes to the
/// back with its backoff. Throttled runs thus take about the time the limit allows, not a round more.
pub async fn run_bulk(client: &GraphClient, cmdlet: &Cmdlet, parameter_set: &str, items: Vec<BulkItem>, options: &BulkOptions) -> Vec<BulkOutcome> {
    let mut outcomes: Vec<BulkOutcome> =
        items.iter().map(|i| BulkOutcome { key: i.key.clone(), status: 0, error: None, attempts: 0, whole_batch: false }).collect();
    let mut pending: VecDeque<Pending> = VecDeque::new();
    for (index, item) in items.iter().enumerate() {
        match binding::prepare(cmdlet, parameter_set, &item.bound) {
            Ok(call) => pending.push_back(Pending { index, request: call.request, not_before: None }),
            Err(e) => {
                outcomes[index].error = Some(e);
                options.done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let run = BulkRun {
        client,
        options,
        gate: ThrottleGate::default(),
        queue: Mutex::new(WorkQueue { items: pending, in_flight: 0 }),
        outcomes: Mutex::new(outcomes),
    };
    futures::future::join_all((0..options.concurrency.max(1)).map(|_| run.work())).await;
    let mut outcomes = run.outcomes.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    if options.cancel.is_cancelled() {
        for outcome in outcomes.iter_mut().filter(|o| o.status == 0 && o.error.is_none()) {
            outcome.error = Some(CmdletError {
                error_id: NOT_SENT.into(),
                message: "The bulk run was stopped before this item was sent.".into(),
                category: ErrorCategory::OperationStopped,
                terminating: false,
                service: None,
            });
        }
    }
    outcomes
}

/// The items still to send, and how many batches are out.
struct WorkQueue {
    items: VecDeque<Pending>,
    in_flight: usize,
}

/// One bulk run, shared by its workers.
struct BulkRun<'a> {
    client: &'a GraphClient,
    options: &'a BulkOptions,
    gate: ThrottleGate,
    queue: Mutex<WorkQueue>,
    outcomes: Mutex<Vec<BulkOutcome>>,
}

impl BulkRun<'_> {
    /// Ends the items of `chunk` unsent, with why (an item sent before keeps the status of its last attempt).
    fn not_sent(&self, chunk: Vec<Pending>, why: &str) {
        let mut outcomes = self.outcomes.lock().expect("outcomes lock");
        for pending in &chunk {
            let outcome = &mut outcomes[pending.index];
            outcome.error = Some(CmdletError {
                error_id: NOT_SENT.into(),
                message: why.into(),
                category: ErrorCategory::ResourceBusy,
                terminating: false,
                service: None,
            });
            self.options.done.fetch_add(1, Ordering::Relaxed);
        }
        drop(outcomes);
        self.queue.lock().expect("queue lock").in_flight -= 1;
    }

    /// One worker: takes a batch, sends it, records the outcomes, puts the items to retry back; until the queue is
    /// empty and no batch is out, or the run is cancelled.
    async fn work(&self) {
        let policy = self.client.config().retry;
        loop {
            if self.options.cancel.run(self.gate.wait()).await.is_none() {
                return;
            }
            let chunk: Option<Vec<Pending>> = {
                let mut queue = self.queue.lock().expect("queue lock");
                if queue.items.is_empty() {
                    if queue.in_flight == 0 {
                        return;
                    }
                    None
                } else {
                    queue.in_flight += 1;
                    let take = queue.items.len().min(MAX_BATCH);
                    Some(queue.items.drain(..take).collect())
                }
            };
            let Some(chunk) = chunk else {
                // Others have batches out whose items may come back.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            if let Some(not_before) = chunk.iter().filter_map(|p| p.not_before).max()
                && self.options.cancel.run(tokio::time::sleep_until(not_before)).await.is_none()
            {
                // Cancelled during the wait: the chunk is not sent again. Its items were sent before and keep the
                // outcome of their last attempt (a 429 or 503 with its error), which is what the summary reports.
                return;
            }
            let reservation = match &self.options.budget {
                Some(budget) => {
                    let requests = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
                    let reserved = if self.options.wait_for_budget {
                        match self.options.cancel.run(budget.reserve(requests)).await {
                            Some(reservation) => Some(reservation),
                            None => return,
                        }
                    } else {
                        budget.try_reserve(requests)
                    };
                    if reserved.is_none() {
                        self.not_sent(chunk, "The request budget had no room for this item now; it was not sent.");
                        continue;
                    }
                    reserved
                }
                None => None,
            };
            let (whole_batch, results) = send_batch(self.client, &chunk).await;
            if let (Some(budget), Some(reservation)) = (&self.options.budget, reservation) {
                budget.settle(reservation);
                if let Some(wait) = results.iter().find_map(|(_, r)| match r {
                    ItemResult::Retry(429, after, _) => Some(*after),
                    _ => None,
                }) {
                    budget.throttled(wait);
                }
            }
            let (mut front, mut back, mut hold) = (Vec::new(), Vec::new(), None::<Duration>);
            {
                let mut outcomes = self.outcomes.lock().expect("outcomes lock");
                for (mut pending, (index, result)) in chunk.into_iter().zip(results) {
                    debug_assert_eq!(pending.index, index);
                    let outcome = &mut outcomes[index];
                    outcome.attempts += 1;
                    outcome.whole_batch = whole_batch;
                    match result {
                        ItemResult::Done(status) => {
                            outcome.status = status;
                            outcome.error = None;
                            self.options.done.fetch_add(1, Ordering::Relaxed);
                        }
                        ItemResult::Failed(status, error) => {
                            outcome.status = status;
                            outcome.error = Some(error);
                            self.options.done.fetch_add(1, Ordering::Relaxed);
                        }
                        ItemResult::Retry(status, after, error) => {
                            outcome.status = status;
                            outcome.error = Some(error);
                            if outcome.attempts as usize > policy.max_retries {
                                // Out of retries: the last error stays in the outcome.
                                self.options.done.fetch_add(1, Ordering::Relaxed);
                            } else if let Some(wait) = after {
                                hold = hold.max(Some(wait.min(policy.max_delay)));
                                front.push(pending);
                            } else {
                                let backoff = policy.backoff().build().nth(outcome.attempts as usize - 1).unwrap_or(policy.delay);
                                pending.not_before = Some(tokio::time::Instant::now() + backoff.min(policy.max_delay));
                                back.push(pending);
                            }
                        }
                    }
                }
            }
            if let Some(wait) = hold {
                self.gate.hold(wait);
            }
            let mut queue = self.queue.lock().expect("queue lock");
            for pending in front.into_iter().rev() {
                queue.items.push_front(pending);
            }
            queue.items.extend(back);
            queue.in_flight -= 1;
        }
    }
}
