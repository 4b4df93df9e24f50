//! Fuzz test of everything that reads outside input: random and mutated inputs, a bounded deterministic loop per
//! target, each input's seed printed on failure (see `harness` for the environment variables).
//!
//! Targets and what each proves for every input:
//! - `duration_parser`: the ISO 8601 parser never panics, and what it accepts prints and parses back the same.
//! - `wire_body`: `BodyKind::to_wire_body` never panics, and what it returns it takes back unchanged.
//! - `binding_prepare`: `catalog::binding::prepare`, every cmdlet and parameter set, never panics; a prepared
//!   request has its path filled in, no reserved header, and a canonical body exactly when the set has one.
//! - `response_mapping`: `output_of` and `error_of_response` never panic; errors keep their status and category and
//!   never show the Authorization header.
//! - `graph_retry_after_and_trace`: `retry_after` reads seconds exactly; the debug texts never show a token.
//! - `graph_token_replies`, `graph_next_links`, `graph_batch_answers`: over loopback, from a scripted server, token
//!   replies give a token only on success; a next link is followed only under the connected endpoint and version;
//!   a `$batch` answer gives every item the outcome its own answer says.
//! - `emulator_graph_routes`, `emulator_identity_and_control_routes`: the emulator's router answers every request —
//!   Graph routes with a Graph error envelope or a success, identity routes with an OAuth error or a success — and
//!   never with a 5xx.
//!
//! By default 40,000 inputs in all (about 10 s in a debug build, which also checks integer overflow). Long mode,
//! 1,000,000 inputs over the ten targets, in release (about 25 s on two cores):
//! `MGPRESENCE_FUZZ_CASES=1000000 cargo test --release -p mgpresence-graph --test fuzz`

mod catalog_targets;
mod domain_targets;
mod emulator_targets;
mod graph_targets;
mod harness;
mod inputs;
mod scripted_server;

use harness::fuzz;

#[test]
fn duration_parser() {
    fuzz("duration_parser", domain_targets::duration_text, domain_targets::check_duration);
}

#[test]
fn wire_body() {
    fuzz("wire_body", domain_targets::loose_body, domain_targets::check_wire_body);
}

#[test]
fn binding_prepare() {
    fuzz("binding_prepare", catalog_targets::binding, catalog_targets::check_binding);
}

#[test]
fn response_mapping() {
    fuzz("response_mapping", catalog_targets::response_case, catalog_targets::check_response);
}

#[test]
fn graph_retry_after_and_trace() {
    fuzz("graph_retry_after_and_trace", graph_targets::pure_case, graph_targets::check_pure);
}

#[test]
fn graph_token_replies() {
    let loopback = graph_targets::Loopback::start();
    fuzz("graph_token_replies", graph_targets::token_case, |case| graph_targets::check_token(&loopback, case));
}

#[test]
fn graph_next_links() {
    let loopback = graph_targets::Loopback::start();
    fuzz("graph_next_links", graph_targets::next_link_case, |case| graph_targets::check_next_link(&loopback, case));
}

#[test]
fn graph_batch_answers() {
    let loopback = graph_targets::Loopback::start();
    fuzz("graph_batch_answers", graph_targets::batch_case, |case| graph_targets::check_batch(&loopback, case));
}

#[test]
fn emulator_graph_routes() {
    let emulator = emulator_targets::InProcess::new();
    fuzz("emulator_graph_routes", emulator_targets::graph_request, |request| emulator_targets::check_graph(&emulator, request));
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("     emulator_graph_routes {}", emulator.answers()).as_bytes());
}

#[test]
fn emulator_identity_and_control_routes() {
    let emulator = emulator_targets::InProcess::new();
    fuzz("emulator_identity_and_control_routes", emulator_targets::identity_or_control_request, |request| {
        emulator_targets::check_identity_or_control(&emulator, request)
    });
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("     emulator_identity_and_control_routes {}", emulator.answers()).as_bytes());
}
