use super::*;
use std::time::Duration;

use crate::model::manifest::Manifest;
use crate::ops::trigger::retry::backoff;

#[test]
fn sizes() {
    assert_eq!(parse_size("512M").unwrap(), 512 << 20);
    assert_eq!(parse_size("4096").unwrap(), 4096);
    assert_eq!(parse_size("2g").unwrap(), 2 << 30);
    assert!(parse_size("12").is_err());
    assert!(parse_size("5X").is_err());
    assert!(parse_size("M").is_err());
    assert!(parse_size("-1G").is_err());
}

#[test]
fn percents() {
    assert_eq!(parse_percent("50%").unwrap(), 50);
    assert_eq!(parse_percent("200").unwrap(), 200);
    assert!(parse_percent("0%").is_err());
    assert!(parse_percent("abc").is_err());
}

#[test]
fn backoff_doubles_and_caps() {
    let b = Duration::from_secs(2);
    assert_eq!(backoff(b, 2), Duration::from_secs(2));
    assert_eq!(backoff(b, 3), Duration::from_secs(4));
    assert_eq!(backoff(b, 4), Duration::from_secs(8));
    assert_eq!(backoff(b, 11), Duration::from_secs(1024));
    assert_eq!(backoff(Duration::from_secs(600), 5), RETRY_DELAY_CAP);
}

#[test]
fn bad_fields_are_named() {
    let mut m = Manifest {
        overlap: Some("sometimes".into()),
        ..Manifest::default()
    };
    assert!(parse(&m).unwrap_err().message.starts_with("overlap:"));
    m.overlap = None;
    m.nice = Some(40);
    assert!(parse(&m).unwrap_err().message.starts_with("nice:"));
    m.nice = None;
    m.memory_max = Some("lots".into());
    assert!(parse(&m).unwrap_err().message.starts_with("memory_max:"));
    m.memory_max = None;
    m.retries = Some(11);
    assert!(parse(&m).unwrap_err().message.starts_with("retries:"));
    m.retries = None;
    m.credentials.insert("../x".into(), "s".into());
    assert!(parse(&m).unwrap_err().message.starts_with("credentials."));
}
