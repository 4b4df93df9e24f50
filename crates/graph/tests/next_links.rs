//! -All and `@odata.nextLink` against a service that repeats its link: the reading stops with `NextLinkLoop` instead
//! of fetching the same pages forever, and the pages read so far are kept.

use axum::Router;
use axum::routing::get;
use mgpresence_catalog::find_cmdlet;
use mgpresence_graph::cmdlet_call::{CallOptions, run};
use mgpresence_graph::{Cloud, Credential, GraphClient, GraphClientConfig};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test]
async fn a_repeated_next_link_stops_all_and_keeps_the_pages_read() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let pages = Arc::new(AtomicUsize::new(0));
    let (link, served) = (format!("{base}/v1.0/communications/presences?$skip=1"), pages.clone());
    let app = Router::new().route(
        "/v1.0/communications/presences",
        get(move || {
            let n = served.fetch_add(1, Ordering::SeqCst);
            let page = json!({"value": [{"id": format!("u{n}"), "availability": "Busy", "activity": "InACall"}], "@odata.nextLink": link});
            async move { axum::Json(page) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    mgpresence_graph::client::ensure_tls_provider();
    let mut config = GraphClientConfig::new(Cloud::custom("Looping", &base, &base).unwrap());
    config.credential = Some(Credential::AccessToken(SecretString::from("token")));
    let client = GraphClient::new(config).unwrap();
    let cmdlet = find_cmdlet("Get-MgCommunicationPresence").unwrap();
    let bound = Map::from_iter([("All".to_owned(), Value::Bool(true))]);
    let result = run(Some(&client), &cmdlet, "List", &bound, &CallOptions::default()).await;

    let error = result.error.expect("the loop is an error");
    assert_eq!(error.error_id, "NextLinkLoop");
    assert_eq!(pages.load(Ordering::SeqCst), 2, "the first page, then the link once");
    let ids: Vec<&str> = result.output.iter().filter_map(|o| o["$value"].get("id").and_then(Value::as_str)).collect();
    assert_eq!(ids, ["u0", "u1"], "the pages read are kept: {:?}", result.output);
}
