//! One HTTP attempt (ureq 3 + rustls; TLS verified against the system's CA
//! store through rustls-platform-verifier; proxies from the environment:
//! `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`).

use std::time::{Duration, Instant};

use ureq::tls::{RootCerts, TlsConfig};

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: delivered.
    Delivered(u16),
    /// 410 Gone: stop for good.
    Gone,
    /// Anything else: try again later (no sooner than `retry_after`, if the
    /// receiver said so).
    Retry {
        /// HTTP status, if a response arrived.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// The receiver's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
}

/// POST `body` to `url` with `headers`; `timeout` bounds the whole attempt,
/// [`crate::model::callback::CONNECT_TIMEOUT`] the connect. Returns the outcome and the
/// time taken.
pub fn post(
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> (Outcome, Duration) {
    let start = Instant::now();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(crate::model::callback::CONNECT_TIMEOUT.min(timeout)))
        .http_status_as_error(false)
        .user_agent(format!("piar/{}", env!("CARGO_PKG_VERSION")))
        .tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into();
    let mut req = agent.post(url).header("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let outcome = match req.send(body) {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
            match status {
                200..=299 => Outcome::Delivered(status),
                410 => Outcome::Gone,
                _ => Outcome::Retry {
                    status: Some(status),
                    error: format!("HTTP {status}"),
                    retry_after,
                },
            }
        }
        Err(e) => Outcome::Retry {
            status: None,
            error: e.to_string(),
            retry_after: None,
        },
    };
    (outcome, start.elapsed())
}

/// `Retry-After` (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let secs = when.as_second() - now.as_second();
    Some(Duration::from_secs(secs.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now: jiff::Timestamp = "2026-11-21T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 12:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
