//! Paging the `/communications/presences` collection with extreme `$skip`/`$top` values: the largest `$skip` a
//! client can send is an empty page (it used to overflow `$skip + $top` and abort the request), and `$top=0` has no
//! next link (it would point at the same page forever).

use axum::body::{Body, to_bytes};
use axum::http::Request;
use mgpresence_emulator::EmulatorConfig;
use serde_json::Value;
use tower::ServiceExt;

async fn get(router: &axum::Router, uri: &str) -> (u16, Value) {
    let request = Request::get(uri).header("authorization", "Bearer t").body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_slice(&to_bytes(response.into_body(), usize::MAX).await.unwrap()).unwrap())
}

#[tokio::test]
async fn extreme_skip_and_top_give_pages_without_runaway_links() {
    let (router, _) = mgpresence_emulator::app(EmulatorConfig::default(), "http://emulator.test");
    for user in ["a", "b", "c"] {
        let (status, _) = get(&router, &format!("/v1.0/users/{user}/presence")).await;
        assert_eq!(status, 200);
    }
    let (status, page) = get(&router, "/v1.0/communications/presences?$skip=18446744073709551615").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["value"], Value::Array(Vec::new()));
    assert!(page.get("@odata.nextLink").is_none(), "{page}");

    let (status, page) = get(&router, "/v1.0/communications/presences?$skip=1&$top=18446744073709551615").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["value"].as_array().map(Vec::len), Some(2));
    assert!(page.get("@odata.nextLink").is_none(), "{page}");

    let (status, page) = get(&router, "/v1.0/communications/presences?$top=0").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.get("@odata.nextLink").is_none(), "a $top=0 page links to itself: {page}");

    let (_, page) = get(&router, "/v1.0/communications/presences?$top=2").await;
    assert!(page["@odata.nextLink"].as_str().is_some_and(|l| l.contains("%24skip=2")), "paging still links on: {page}");
}
