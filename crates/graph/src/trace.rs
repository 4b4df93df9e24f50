//! The request and response text written to the debug stream under `-Debug`, in the layout of Microsoft's
//! `HttpMessageLogFormatter` (mg-cmdlet-behavior.md §2.13). The Authorization header shows only its scheme
//! (`Bearer <redacted>`) and `access_token` members of JSON bodies are redacted, so no secret is ever shown.

use serde_json::Value;

const MAX_TEXT_BODY: usize = 10_240;

/// The text of a request.
pub fn format_request(method: &str, url: &str, headers: &[(String, String)], body: Option<&[u8]>) -> String {
    let mut out = String::from("============================ HTTP REQUEST ============================\n\n");
    out.push_str(&format!("HTTP Method:\n{method}\n\nAbsolute Uri:\n{url}\n\n"));
    push_headers(&mut out, headers);
    out.push_str(&format!("Body:\n{}\n", format_body(body.unwrap_or_default())));
    out
}

/// The text of a response.
pub fn format_response(status: u16, reason: &str, headers: &[(String, String)], body: &[u8]) -> String {
    let mut out = String::from("============================ HTTP RESPONSE ============================\n\n");
    out.push_str(&format!("Status Code:\n{}\n\n", if reason.is_empty() { status.to_string() } else { reason.to_owned() }));
    push_headers(&mut out, headers);
    out.push_str(&format!("Body:\n{}\n", format_body(body)));
    out
}

fn push_headers(out: &mut String, headers: &[(String, String)]) {
    out.push_str("Headers:\n");
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in headers {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name);
        }
    }
    for name in names {
        let secret = name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization");
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| if secret { format!("{} <redacted>", v.split_whitespace().next().unwrap_or_default()) } else { v.clone() })
            .collect();
        out.push_str(&format!("{name:<30}: {}\n", values.join(",")));
    }
    out.push('\n');
}

fn format_body(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    if let Ok(mut json) = serde_json::from_slice::<Value>(body) {
        redact(&mut json);
        return serde_json::to_string_pretty(&json).unwrap_or_default();
    }
    let text = String::from_utf8_lossy(body);
    // JSON that could not be read (cut short, nested too deep) is shown as text, so its access_token would show.
    if text.to_ascii_lowercase().contains("access_token") {
        return "<redacted: the body holds an access_token and is not JSON that can be read>".to_owned();
    }
    if text.chars().count() > MAX_TEXT_BODY {
        let cut: String = text.chars().take(MAX_TEXT_BODY).collect();
        format!("{cut}\n ...\n DATA TRUNCATED DUE TO SIZE\n ...")
    } else {
        text.into_owned()
    }
}

fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k.eq_ignore_ascii_case("access_token") {
                    *v = Value::String("<redacted>".into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_never_appears_and_json_is_pretty() {
        let headers = vec![
            ("Authorization".to_owned(), "Bearer secret-token".to_owned()),
            ("client-request-id".to_owned(), "abc".to_owned()),
        ];
        let text = format_request("POST", "https://g/v1.0/x", &headers, Some(br#"{"a":1,"access_token":"secret-token"}"#));
        assert!(!text.contains("secret-token"), "{text}");
        assert!(text.contains("Authorization                 : Bearer <redacted>"), "{text}");
        assert!(text.contains("client-request-id             : abc"), "{text}");
        assert!(text.contains("HTTP Method:\nPOST"));
        assert!(text.contains("\"a\": 1"));
    }

    #[test]
    fn an_access_token_in_json_that_cannot_be_read_is_not_shown() {
        let cut_short = br#"{"token_type":"Bearer","access_token":"secret-token","expires_in":35"#;
        let too_deep = format!(r#"{}{{"access_token":"secret-token"}}{}"#, "[".repeat(200), "]".repeat(200));
        for body in [&cut_short[..], too_deep.as_bytes()] {
            let text = format_response(200, "OK", &[], body);
            assert!(!text.contains("secret-token"), "{text}");
        }
    }

    #[test]
    fn long_text_bodies_are_cut() {
        let body = "x".repeat(MAX_TEXT_BODY + 5);
        let text = format_response(200, "OK", &[], body.as_bytes());
        assert!(text.contains("DATA TRUNCATED DUE TO SIZE"));
    }
}
