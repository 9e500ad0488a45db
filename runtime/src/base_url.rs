//! Checks on where an SDK sends its requests, the same in every SDK: the base URL ([`check`]) and the HTTP client
//! a user supplies ([`follows_redirects`]).

/// Why a base URL is refused: the URL as it may be shown (user name and password removed) and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refused {
    /// The URL, without any credentials it carried.
    pub url: String,
    /// Why.
    pub reason: &'static str,
}

/// HTTPS, or HTTP on a loopback host; no credentials, query or fragment in it. Returns it without a trailing
/// slash.
///
/// ```
/// use cardsdk_runtime::base_url::check;
///
/// assert_eq!(check("https://api.example.com/").unwrap(), "https://api.example.com");
/// assert!(check("http://127.0.0.1:8080").is_ok());
/// let refused = check("http://user:pw@api.example.com").unwrap_err();
/// assert!(!refused.url.contains("pw"));
/// assert_eq!(check("http://api.example.com").unwrap_err().reason, "plain HTTP is only allowed on a loopback address");
/// ```
///
/// # Errors
///
/// [`Refused`], naming the rule broken.
pub fn check(url: &str) -> Result<String, Refused> {
    let shown = |url: &str| match url::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_string(),
    };
    let invalid = |reason: &'static str| Refused { url: shown(url), reason };
    let parsed = url::Url::parse(url).map_err(|_| invalid("not a URL"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("a base URL carries no user name or password (they would be sent to the server)"));
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(invalid("no host")),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(invalid("plain HTTP is only allowed on a loopback address")),
        _ => return Err(invalid("the scheme must be https")),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Whether a `reqwest::Client` follows redirects. reqwest shows a non-default redirect policy in the client's
/// `Debug` (`redirect_policy: "Policy(None)"` for `Policy::none()`) and nothing for the default, which follows up
/// to 10; a custom policy cannot be inspected, so only `Policy::none()` is taken as safe.
///
/// ```
/// use cardsdk_runtime::base_url::follows_redirects;
///
/// assert!(follows_redirects(&reqwest::Client::new()));
/// let safe = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
/// assert!(!follows_redirects(&safe));
/// ```
pub fn follows_redirects(client: &reqwest::Client) -> bool {
    !format!("{client:?}").contains(r#"redirect_policy: "Policy(None)""#)
}
