use mgpresence_catalog::find_cmdlet;
use mgpresence_graph::cmdlet_call::{self, CallOptions};
use mgpresence_graph::{Cloud, Credential, GraphClient, GraphClientConfig};
use secrecy::SecretString;
use serde_json::json;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 { v.sort_by(|a, b| a.partial_cmp(b).unwrap()); v[v.len() / 2] }

fn main() {
    let url = std::env::args().nth(1).unwrap();
    let n: usize = 5000;
    let cmdlet = find_cmdlet("Set-MgUserPresence").unwrap();
    let bound = json!({"UserId": "u", "SessionId": "app", "Availability": "Away", "Activity": "Away", "ExpirationDuration": "PT10M"});
    let bound = bound.as_object().unwrap().clone();
    let mk = || {
        let mut config = GraphClientConfig::new(Cloud::custom("Emulator", &url, &url).unwrap());
        config.credential = Some(Credential::AccessToken(SecretString::from("tok")));
        GraphClient::new(config).unwrap()
    };
    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let single = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (cm, cs) = (multi.block_on(async { mk() }), single.block_on(async { mk() }));
    for round in 0..3 {
        for (name, rt, client) in [("multi", &multi, &cm), ("current", &single, &cs)] {
            let mut times = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                let r = rt.block_on(cmdlet_call::run(Some(client), &cmdlet, "SetExpanded", &bound, &CallOptions::default()));
                assert!(r.error.is_none());
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let t = Instant::now();
            for _ in 0..n { let _ = mgpresence_catalog::binding::prepare(&cmdlet, "SetExpanded", &bound).unwrap(); }
            let prep = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
            println!("round {round} {name:8} median {:.4} ms   prepare {:.4} ms", median(times), prep);
        }
    }
}
