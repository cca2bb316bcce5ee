//! Signing and verifying callbacks.
//!
//! - Standard Webhooks (<https://www.standardwebhooks.com/>, spec section
//!   "Signature scheme"): `webhook-signature: v1,<base64 HMAC-SHA256(key,
//!   "<id>.<timestamp>.<body>")>`, where the key is the base64-decoded part of
//!   a `whsec_<base64>` secret. Receivers accept a timestamp within
//!   [`TOLERANCE_SECS`] of their clock.
//! - pi-agent-runner compatibility: `X-Runner-Signature` is the lowercase hex
//!   HMAC-SHA256 over `"<timestamp>.<body>"`, keyed with the secret's text
//!   exactly as stored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Clock skew receivers tolerate, in seconds (Standard Webhooks: 5 minutes).
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Prefix of Standard Webhooks secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// The HMAC key of a Standard Webhooks secret: the base64 after `whsec_`
/// (the prefix is optional, as in the reference libraries). A value that is
/// not base64 is used as raw bytes, so any secret can sign.
pub fn standard_key(secret: &str) -> Vec<u8> {
    let text = secret.trim();
    let b64 = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
    B64.decode(b64).unwrap_or_else(|_| text.as_bytes().to_vec())
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: new_from_slice cannot fail for it.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// `v1,<base64 signature>` for the `webhook-signature` header.
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = mac(key);
    m.update(format!("{id}.{timestamp}.").as_bytes());
    m.update(body);
    format!("v1,{}", B64.encode(m.finalize().into_bytes()))
}

/// Lowercase hex HMAC-SHA256 over `"<timestamp>.<body>"` keyed with the
/// secret text (the `X-Runner-Signature` header).
pub fn compat_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = mac(secret.trim().as_bytes());
    m.update(format!("{timestamp}.").as_bytes());
    m.update(body);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Verify a `webhook-signature` header (one or more space-separated
/// `v1,<base64>` entries) against `key`, `id`, `timestamp` and `body` at
/// `now` (Unix seconds). `Err` carries the reason for the receiver.
pub fn verify(
    key: &[u8],
    id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
) -> std::result::Result<(), String> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| format!("timestamp {timestamp:?} is not Unix seconds"))?;
    if (now - ts).abs() > TOLERANCE_SECS {
        return Err(format!(
            "timestamp {ts} is {}s away from now ({now}); the tolerance is {TOLERANCE_SECS}s",
            now - ts
        ));
    }
    let mut saw_v1 = false;
    for entry in signature_header.split_whitespace() {
        let Some(sig) = entry.strip_prefix("v1,") else {
            continue;
        };
        saw_v1 = true;
        let Ok(bytes) = B64.decode(sig) else {
            continue;
        };
        let mut m = mac(key);
        m.update(format!("{id}.{ts}.").as_bytes());
        m.update(body);
        // verify_slice compares in constant time.
        if m.verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    if saw_v1 {
        Err("no signature matches (wrong secret, id, timestamp or body)".into())
    } else {
        Err("no v1 signature in the header (expected \"v1,<base64>\")".into())
    }
}

/// A fresh Standard Webhooks secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> crate::error::Result<String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| {
        crate::error::Error::failed(format!("cannot get random bytes for a secret: {e}"))
    })?;
    Ok(format!("{}{}", SECRET_PREFIX, B64.encode(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks test vector (design notes; the reference libraries' tests).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn known_vector_signs() {
        assert_eq!(standard_signature(&standard_key(SECRET), ID, TS, BODY), SIG);
    }

    #[test]
    fn known_vector_verifies_and_tampering_fails() {
        let key = standard_key(SECRET);
        verify(&key, ID, "1614265330", SIG, BODY, TS + 10).unwrap();
        verify(&key, ID, "1614265330", &format!("v1,bad {SIG}"), BODY, TS).unwrap();
        let err = verify(&key, ID, "1614265330", SIG, b"{}", TS).unwrap_err();
        assert!(err.contains("no signature matches"), "{err}");
        let err = verify(&key, ID, "1614265330", SIG, BODY, TS + 301).unwrap_err();
        assert!(err.contains("tolerance"), "{err}");
        assert!(verify(&key, ID, "soon", SIG, BODY, TS).is_err());
        assert!(verify(&key, ID, "1614265330", "v2,abc", BODY, TS).is_err());
    }

    #[test]
    fn compat_signature_is_hex_hmac_over_ts_dot_body() {
        // Independent value: python3 -c 'import hmac,hashlib;
        // print(hmac.new(b"s3cret", b"1614265330.{}", hashlib.sha256).hexdigest())'
        assert_eq!(
            compat_signature("s3cret", TS, b"{}"),
            "fc2131457b96a88934ed47ab7d4654a01d906c50546d10290330582312e37a2f"
        );
    }

    #[test]
    fn generated_secrets_decode_to_32_bytes() {
        let s = generate_secret().unwrap();
        assert!(s.starts_with("whsec_"));
        assert_eq!(standard_key(&s).len(), 32);
    }
}
