//! The emulator's service rules (graph-presence-api.md §1–§4), over HTTP on loopback, with the emulator's clock moved
//! forward instead of sleeping.

use mgpresence_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

const ME: &str = "00000000-0000-0000-0000-0000000000a1";

struct Graph {
    http: reqwest::Client,
    emulator: RunningEmulator,
}

impl Graph {
    async fn start() -> Self {
        mgpresence_graph::client::ensure_tls_provider();
        let emulator = RunningEmulator::start(EmulatorConfig { signed_in_user: ME.into(), ..EmulatorConfig::default() }).await.unwrap();
        Self { http: reqwest::Client::new(), emulator }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.emulator.url))
            .bearer_auth("token")
            .header("client-request-id", "11111111-2222-3333-4444-555555555555");
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send("GET", path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    async fn state(&self, user: &str) -> (String, String) {
        let p = self.get(&format!("/v1.0/users/{user}/presence")).await;
        (p["availability"].as_str().unwrap().to_owned(), p["activity"].as_str().unwrap().to_owned())
    }

    async fn set(&self, user: &str, session: &str, availability: &str, activity: &str, duration: Option<&str>) {
        let mut body = json!({"sessionId": session, "availability": availability, "activity": activity});
        if let Some(d) = duration {
            body["expirationDuration"] = json!(d);
        }
        let (status, reply) = self.post(&format!("/v1.0/users/{user}/presence/setPresence"), body).await;
        assert_eq!(status, 200, "{reply}");
    }

    /// Moves the clock through the control endpoint, as tests in other languages do.
    async fn advance(&self, iso: &str) {
        let (status, body) = self.post("/_emulator/clock", json!({"advance": iso})).await;
        assert_eq!(status, 200, "{body}");
    }
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

#[tokio::test]
async fn every_url_form_reaches_the_same_presence() {
    let g = Graph::start().await;
    for (i, path) in [
        format!("/v1.0/users/{ME}/presence/setPresence"),
        format!("/beta/users/{ME}/presence/microsoft.graph.setPresence"),
        format!("/v1.0/communications/presences/{ME}/setPresence"),
        format!("/beta/communications/presences/{ME}/microsoft.graph.setPresence"),
        "/v1.0/me/presence/setPresence".to_owned(),
        "/beta/me/presence/microsoft.graph.setPresence".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        let (status, body) = g.post(path, json!({"sessionId": format!("app{i}"), "availability": "Away", "activity": "Away"})).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    for path in [format!("/v1.0/users/{ME}/presence"), format!("/beta/communications/presences/{ME}"), "/v1.0/me/presence".to_owned()] {
        assert_eq!(g.get(&path).await["availability"], "Away", "{path}");
    }
    let (status, body) = g.post("/v2.0/me/presence/setPresence", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("BadRequest")));
    let (status, body) = g.post("/v1.0/me/presence/setPresenceNow", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Resource not found for the segment 'setPresenceNow'.");
}

#[tokio::test]
async fn sessions_aggregate_dnd_over_busy_over_available_over_away() {
    let g = Graph::start().await;
    g.set("u", "a", "Away", "Away", Some("PT1H")).await;
    assert_eq!(g.state("u").await, pair("Away", "Away"));
    g.set("u", "b", "Available", "Available", Some("PT1H")).await;
    assert_eq!(g.state("u").await, pair("Available", "Available"));
    g.set("u", "c", "Busy", "InACall", Some("PT1H")).await;
    assert_eq!(g.state("u").await, pair("Busy", "InACall"));
    g.set("u", "d", "DoNotDisturb", "Presenting", Some("PT1H")).await;
    assert_eq!(g.state("u").await, pair("DoNotDisturb", "Presenting"));
    let (status, _) = g.post("/v1.0/users/u/presence/clearPresence", json!({"sessionId": "d"})).await;
    assert_eq!(status, 200);
    assert_eq!(g.state("u").await, pair("Busy", "InACall"));
}

#[tokio::test]
async fn available_fades_after_five_minutes_then_five_more_and_setting_again_keeps_it_alive() {
    let g = Graph::start().await;
    g.set("u", "app", "Available", "Available", Some("PT1H")).await;
    g.advance("PT4M59S").await;
    assert_eq!(g.state("u").await, pair("Available", "Available"));
    g.advance("PT1S").await;
    assert_eq!(g.state("u").await, pair("Available", "AvailableInactive"));
    g.advance("PT5M").await;
    assert_eq!(g.state("u").await, pair("Away", "Away"));
    g.set("u", "app", "Available", "Available", Some("PT1H")).await;
    g.advance("PT4M").await;
    assert_eq!(g.state("u").await, pair("Available", "Available"));
}

#[tokio::test]
async fn sessions_expire_after_their_duration_default_five_minutes() {
    let g = Graph::start().await;
    g.set("u", "app", "Busy", "InACall", None).await;
    g.advance("PT4M").await;
    assert_eq!(g.state("u").await, pair("Busy", "InACall"));
    g.advance("PT1M").await;
    assert_eq!(g.state("u").await, pair("Offline", "Offline"));
    g.set("u", "app", "Busy", "InAConferenceCall", Some("PT4H")).await;
    g.advance("PT3H59M").await;
    assert_eq!(g.state("u").await, pair("Busy", "InAConferenceCall"));
    g.advance("PT1M").await;
    assert_eq!(g.state("u").await, pair("Offline", "Offline"));
}

#[tokio::test]
async fn the_duration_range_and_the_pairs_are_enforced() {
    let g = Graph::start().await;
    for (availability, activity, duration, code) in [
        ("Available", "Available", "PT4M59S", "ExpirationDurationOutOfRange"),
        ("Available", "Available", "PT4H1S", "ExpirationDurationOutOfRange"),
        ("DoNotDisturb", "OutOfOffice", "PT5M", "UnsupportedPresenceCombination"),
        ("Busy", "Busy", "PT5M", "UnsupportedPresenceCombination"),
    ] {
        let (status, body) = g
            .post("/v1.0/users/u/presence/setPresence", json!({"sessionId": "s", "availability": availability, "activity": activity, "expirationDuration": duration}))
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["code"], "InvalidArgument");
        assert_eq!(body["error"]["innerError"]["code"], code);
    }
    // Values are compared case-insensitively.
    g.set("u", "s", "doNotDisturb", "PRESENTING", None).await;
    assert_eq!(g.state("u").await, pair("DoNotDisturb", "Presenting"));
}

#[tokio::test]
async fn preferred_presence_needs_a_session_and_defaults_to_one_or_seven_days() {
    let g = Graph::start().await;
    let (status, _) = g.post("/v1.0/users/u/presence/setUserPreferredPresence", json!({"availability": "DoNotDisturb", "activity": "DoNotDisturb"})).await;
    assert_eq!(status, 200);
    assert_eq!(g.state("u").await, pair("Offline", "Offline"), "no session: Offline even with a preferred presence");
    g.set("u", "app", "Available", "Available", Some("PT4H")).await;
    assert_eq!(g.state("u").await, pair("DoNotDisturb", "DoNotDisturb"));
    g.advance("PT23H59M").await;
    g.set("u", "app", "Available", "Available", Some("PT4H")).await;
    assert_eq!(g.state("u").await, pair("DoNotDisturb", "DoNotDisturb"));
    g.advance("PT1M").await;
    assert_eq!(g.state("u").await, pair("Available", "Available"), "DoNotDisturb expires after one day");

    let (status, _) = g.post("/v1.0/users/u/presence/setUserPreferredPresence", json!({"availability": "BeRightBack", "activity": "BeRightBack"})).await;
    assert_eq!(status, 200);
    g.advance("P6DT23H").await;
    g.set("u", "app", "Available", "Available", Some("PT4H")).await;
    assert_eq!(g.state("u").await, pair("BeRightBack", "BeRightBack"));
    g.advance("PT1H").await;
    g.set("u", "app", "Available", "Available", Some("PT4H")).await;
    assert_eq!(g.state("u").await, pair("Available", "Available"), "others expire after seven days");

    let (status, _) = g.post("/v1.0/users/u/presence/setUserPreferredPresence", json!({"availability": "Offline", "activity": "OffWork", "expirationDuration": "PT1H"})).await;
    assert_eq!(status, 200);
    assert_eq!(g.state("u").await, pair("Offline", "OffWork"));
    let (status, _) = g.send("POST", "/v1.0/users/u/presence/clearUserPreferredPresence", None).await;
    assert_eq!(status, 200);
    assert_eq!(g.state("u").await, pair("Available", "Available"));
    let (status, body) = g.post("/v1.0/users/u/presence/setUserPreferredPresence", json!({"availability": "Busy", "activity": "InACall"})).await;
    assert_eq!((status, body["error"]["innerError"]["code"].as_str()), (400, Some("UnsupportedPresenceCombination")));
}

#[tokio::test]
async fn clearing_a_missing_session_is_404_and_the_last_one_leaves_offline() {
    let g = Graph::start().await;
    let (status, body) = g.post("/v1.0/users/u/presence/clearPresence", json!({"sessionId": "app"})).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NotFound");
    assert_eq!(body["error"]["innerError"]["client-request-id"], "11111111-2222-3333-4444-555555555555");
    assert!(body["error"]["innerError"]["request-id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(body["error"]["innerError"]["date"].as_str().is_some());
    g.set("u", "app", "Busy", "InACall", None).await;
    let (status, _) = g.post("/v1.0/users/u/presence/clearPresence", json!({"sessionId": "app"})).await;
    assert_eq!(status, 200);
    assert_eq!(g.state("u").await, pair("Offline", "Offline"));
}

#[tokio::test]
async fn status_messages_expire_and_show_their_times_only_to_the_user() {
    let g = Graph::start().await;
    let expiry = g.get("/_emulator/clock").await["now"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap()
        + jiff::SignedDuration::from_hours(2);
    let expiry = expiry.to_zoned(jiff::tz::TimeZone::UTC).datetime().to_string();
    let (status, body) = g
        .post(
            "/v1.0/me/presence/setStatusMessage",
            json!({"statusMessage": {"message": {"content": "In a workshop", "contentType": "text"}, "expiryDateTime": {"dateTime": expiry, "timeZone": "UTC"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let own = g.get("/v1.0/me/presence").await;
    assert_eq!(own["statusMessage"]["message"]["content"], "In a workshop");
    assert!(own["statusMessage"]["expiryDateTime"]["dateTime"].is_string());
    assert!(own["statusMessage"]["publishedDateTime"].is_string());
    g.post("/v1.0/users/other/presence/setStatusMessage", json!({"statusMessage": {"message": {"content": "Hi", "contentType": "text"}}})).await;
    let other = g.get("/v1.0/users/other/presence").await;
    assert_eq!(other["statusMessage"], json!({"message": {"content": "Hi", "contentType": "text"}}), "another user's times are hidden");
    g.advance("PT2H").await;
    assert!(g.get("/v1.0/me/presence").await.get("statusMessage").is_none(), "expired");
    let (status, body) = g.post("/v1.0/me/presence/setStatusMessage", json!({"statusMessage": {"message": {"content": "x", "contentType": "html"}}})).await;
    assert_eq!((status, body["error"]["innerError"]["code"].as_str()), (400, Some("UnsupportedPropertyValue")));
}

#[tokio::test]
async fn get_presences_by_user_id_takes_up_to_650_ids() {
    let g = Graph::start().await;
    g.set("a", "app", "Busy", "InACall", Some("PT1H")).await;
    let (status, body) = g.post("/v1.0/communications/microsoft.graph.getPresencesByUserId", json!({"ids": ["a", "b", "A"]})).await;
    assert_eq!(status, 200);
    let value = body["value"].as_array().unwrap();
    assert_eq!(value.len(), 2, "duplicates are answered once: {body}");
    assert_eq!((value[0]["id"].as_str(), value[0]["availability"].as_str()), (Some("a"), Some("Busy")));
    assert_eq!(value[1]["availability"], "Offline");
    let ids: Vec<String> = (0..650).map(|i| format!("user{i}")).collect();
    assert_eq!(g.post("/beta/communications/getPresencesByUserId", json!({"ids": ids})).await.0, 200);
    let too_many: Vec<String> = (0..651).map(|i| format!("user{i}")).collect();
    let (status, body) = g.post("/beta/communications/getPresencesByUserId", json!({"ids": too_many})).await;
    assert_eq!((status, body["error"]["innerError"]["code"].as_str()), (400, Some("TooManyIds")));
}

#[tokio::test]
async fn sequence_number_grows_with_each_change() {
    let g = Graph::start().await;
    let seq = |p: Value| p["sequenceNumber"].as_str().unwrap().to_owned();
    let s0 = seq(g.get("/v1.0/users/u/presence").await);
    assert_eq!(seq(g.get("/v1.0/users/u/presence").await), s0, "reading changes nothing");
    g.set("u", "app", "Available", "Available", Some("PT1H")).await;
    let s1 = seq(g.get("/v1.0/users/u/presence").await);
    g.advance("PT5M").await;
    let s2 = seq(g.get("/v1.0/users/u/presence").await);
    g.post("/v1.0/users/u/presence/setManualLocation", json!({"workLocationType": "remote"})).await;
    let s3 = seq(g.get("/v1.0/users/u/presence").await);
    assert!(s0 < s1 && s1 < s2 && s2 < s3, "{s0} {s1} {s2} {s3}");
}

#[tokio::test]
async fn location_actions_layer_manual_over_automatic() {
    let g = Graph::start().await;
    let location = |p: Value| (p["workLocation"]["source"].as_str().unwrap().to_owned(), p["workLocation"]["workLocationType"].as_str().unwrap().to_owned());
    assert_eq!(location(g.get("/v1.0/me/presence").await), pair("none", "unspecified"));
    assert_eq!(g.post("/v1.0/me/presence/setAutomaticLocation", json!({"workLocationType": "office", "placeId": "b1"})).await.0, 200);
    let p = g.get("/v1.0/me/presence").await;
    assert_eq!((location(p.clone()), p["workLocation"]["placeId"].as_str()), (pair("automatic", "office"), Some("b1")));
    assert_eq!(g.post("/v1.0/me/presence/setManualLocation", json!({"workLocationType": "remote"})).await.0, 200);
    assert_eq!(location(g.get("/v1.0/me/presence").await), pair("manual", "remote"));
    assert_eq!(g.send("POST", "/v1.0/me/presence/clearAutomaticLocation", None).await.0, 200);
    assert_eq!(location(g.get("/v1.0/me/presence").await), pair("manual", "remote"));
    assert_eq!(g.send("POST", "/v1.0/me/presence/clearLocation", Some(json!({}))).await.0, 200);
    assert_eq!(location(g.get("/v1.0/me/presence").await), pair("none", "unspecified"));
    let (status, body) = g.post("/v1.0/me/presence/setManualLocation", json!({"workLocationType": "moon"})).await;
    assert_eq!((status, body["error"]["innerError"]["code"].as_str()), (400, Some("UnsupportedPropertyValue")));
}

#[tokio::test]
async fn the_collection_lists_counts_filters_and_pages() {
    let g = Graph::start().await;
    for user in ["c", "a", "b"] {
        g.set(user, "app", "Away", "Away", Some("PT1H")).await;
    }
    let all = g.get("/v1.0/communications/presences?$count=true").await;
    assert_eq!(all["@odata.count"], 3);
    let ids: Vec<&str> = all["value"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let page = g.get("/v1.0/communications/presences?$top=2").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    let next = page["@odata.nextLink"].as_str().unwrap().strip_prefix(&g.emulator.url).unwrap().to_owned();
    let rest = g.get(&next).await;
    assert_eq!(rest["value"][0]["id"], "c");
    assert!(rest.get("@odata.nextLink").is_none());
    let filtered = g.get("/v1.0/communications/presences?$filter=id%20in%20('a','c')").await;
    assert_eq!(filtered["value"].as_array().unwrap().len(), 2);
    assert_eq!(g.get("/v1.0/communications/presences/$count").await, json!(3));
    let (status, body) = g.send("GET", "/v1.0/communications/presences?$filter=availability%20eq%20'Away'", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("BadRequest")));
}

#[tokio::test]
async fn undocumented_operations_answer_as_the_service_does() {
    let g = Graph::start().await;
    let (status, body) = g.send("PATCH", "/v1.0/users/u/presence", Some(json!({"availability": "Busy"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("NotFound")));
    let (status, body) = g.send("DELETE", "/beta/communications/presences/u", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (405, Some("MethodNotAllowed")));
    let (status, _) = g.post("/v1.0/communications/presences", json!({"id": "u"})).await;
    assert_eq!(status, 405);
}
