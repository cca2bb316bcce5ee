//! systemd's D-Bus errors as piar errors: [`classify_bus_error`] and the
//! `From` conversions `?` uses on zbus results. They live here, not in
//! `crate::error`, so that the error module stays a leaf.

use crate::error::{Error, Kind};

/// Map a zbus error to a piar error: access denied -> permission (exit 6),
/// no bus / connection refused -> unreachable (exit 5), else failed (exit 1).
pub fn classify_bus_error(e: zbus::Error) -> Error {
    let text = e.to_string();
    let kind = match &e {
        zbus::Error::MethodError(name, _, _)
            if name.as_str().ends_with("AccessDenied")
                || name.as_str().ends_with("InteractiveAuthorizationRequired") =>
        {
            Kind::Permission
        }
        zbus::Error::MethodError(name, _, _) if name.as_str().ends_with("NoSuchUnit") => {
            Kind::NotFound
        }
        zbus::Error::FDO(f) if matches!(**f, zbus::fdo::Error::AccessDenied(_)) => Kind::Permission,
        zbus::Error::InputOutput(_) | zbus::Error::Address(_) => Kind::Unreachable,
        _ => Kind::Failed,
    };
    let e = Error::new(kind, format!("systemd: {text}"));
    if kind == Kind::Permission {
        e.with_hint("system scope needs root: run with sudo, or use --user for your own jobs")
    } else {
        e
    }
}

impl From<zbus::Error> for Error {
    fn from(e: zbus::Error) -> Self {
        classify_bus_error(e)
    }
}

impl From<zbus::fdo::Error> for Error {
    fn from(e: zbus::fdo::Error) -> Self {
        classify_bus_error(zbus::Error::FDO(Box::new(e)))
    }
}
