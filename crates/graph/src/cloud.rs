//! National clouds (graph-presence-api.md §7) and custom environments, as `Get-MgEnvironment` lists them.

use url::Url;

/// A Graph environment: where the service and its sign-in live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    pub name: String,
    /// The service root, without a version segment (`https://graph.microsoft.com`).
    pub graph_endpoint: Url,
    pub azure_ad_endpoint: Url,
    pub built_in: bool,
}

/// Why an environment cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    #[error("'{0}' is not an absolute http(s) URL")]
    NotAnUrl(String),
    #[error(
        "'{0}' uses plain http. Tokens are only sent over https, except to loopback addresses (127.0.0.1, ::1, localhost) such as the local emulator"
    )]
    InsecureEndpoint(String),
    #[error(
        "'{0}' ends in the API version '{1}'. Give the Graph service root without it ('{2}'): each call adds /v1.0 or /beta itself"
    )]
    VersionedEndpoint(String, String, String),
    #[error("No environment is named '{name}'. Known environments: {known}")]
    UnknownEnvironment { name: String, known: String },
}

const BUILT_IN: &[(&str, &str, &str)] = &[
    ("Global", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
    ("China", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ("USGov", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
    ("USGovDoD", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
];

impl Cloud {
    /// The built-in national clouds.
    pub fn built_in() -> Vec<Cloud> {
        BUILT_IN
            .iter()
            .map(|(name, graph, aad)| Cloud {
                name: (*name).to_owned(),
                graph_endpoint: Url::parse(graph).expect("built-in URLs are valid"),
                azure_ad_endpoint: Url::parse(aad).expect("built-in URLs are valid"),
                built_in: true,
            })
            .collect()
    }

    /// The global cloud.
    pub fn global() -> Cloud {
        Self::built_in().remove(0)
    }

    /// A custom environment. Its Graph endpoint must be https, or http on a loopback address.
    /// A service root that ends in a version (`…/v1.0`, as an SDK's base URL does) is refused with the root to give,
    /// rather than sending every call to `…/v1.0/v1.0/…`.
    pub fn custom(name: &str, graph_endpoint: &str, azure_ad_endpoint: &str) -> Result<Cloud, CloudError> {
        let graph = checked_endpoint(graph_endpoint)?;
        let segments: Vec<&str> = graph.path_segments().into_iter().flatten().filter(|s| !s.is_empty()).collect();
        if let Some((version, above)) = segments.split_last()
            && ["v1.0", "beta"].iter().any(|v| version.eq_ignore_ascii_case(v))
        {
            let mut root = graph.clone();
            root.set_path(&above.join("/"));
            let root = root.as_str().trim_end_matches('/').to_owned();
            return Err(CloudError::VersionedEndpoint(graph_endpoint.to_owned(), (*version).to_owned(), root));
        }
        Ok(Cloud {
            name: name.to_owned(),
            graph_endpoint: graph,
            azure_ad_endpoint: checked_endpoint(azure_ad_endpoint)?,
            built_in: false,
        })
    }

    /// The URL of `path_and_query` under version `version` of this cloud's service root.
    pub fn url_for(&self, version: &str, path: &str) -> String {
        format!("{}/{version}{path}", self.graph_endpoint.as_str().trim_end_matches('/'))
    }
}

/// Parses an endpoint and refuses plain http to anything but loopback.
pub fn checked_endpoint(text: &str) -> Result<Url, CloudError> {
    let url = Url::parse(text.trim()).map_err(|_| CloudError::NotAnUrl(text.to_owned()))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(CloudError::InsecureEndpoint(text.to_owned())),
        _ => Err(CloudError::NotAnUrl(text.to_owned())),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_clouds_match_the_deployments_page() {
        let names: Vec<_> = Cloud::built_in().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["Global", "China", "USGov", "USGovDoD"]);
        assert_eq!(Cloud::global().url_for("v1.0", "/users/u/presence"), "https://graph.microsoft.com/v1.0/users/u/presence");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Cloud::custom("E", "http://127.0.0.1:5000", "http://127.0.0.1:5000").is_ok());
        assert!(Cloud::custom("E", "http://localhost:5000/", "https://login.example").is_ok());
        assert!(matches!(Cloud::custom("E", "http://example.com", "https://x"), Err(CloudError::InsecureEndpoint(_))));
        assert!(matches!(Cloud::custom("E", "graph", "https://x"), Err(CloudError::NotAnUrl(_))));
    }

    #[test]
    fn a_service_root_ending_in_a_version_is_refused_with_the_root_to_give() {
        let refused = Cloud::custom("E", "http://127.0.0.1:5099/v1.0", "http://127.0.0.1:5099").unwrap_err();
        assert_eq!(refused, CloudError::VersionedEndpoint("http://127.0.0.1:5099/v1.0".into(), "v1.0".into(), "http://127.0.0.1:5099".into()));
        assert!(refused.to_string().contains("('http://127.0.0.1:5099')"), "{refused}");
        let refused = Cloud::custom("E", "https://graph.contoso.test/api/Beta/", "https://login.example").unwrap_err();
        assert_eq!(refused, CloudError::VersionedEndpoint("https://graph.contoso.test/api/Beta/".into(), "Beta".into(), "https://graph.contoso.test/api".into()));
        // A root under a path of its own is the caller's to give.
        assert!(Cloud::custom("E", "https://gateway.contoso.test/graph", "https://login.example").is_ok());
        assert!(Cloud::custom("E", "https://gateway.contoso.test/v1.0-proxy", "https://login.example").is_ok());
    }
}
