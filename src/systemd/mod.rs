//! Talking to the systemd manager over D-Bus (org.freedesktop.systemd1(5)).

use crate::error::{Error, Kind};

/// Map a zbus error to a piar error: access denied -> permission (exit 6),
/// no bus / connection refused -> unreachable (exit 5), else failed (exit 1).
pub fn classify_bus_error(e: zbus::Error) -> Error {
    let text = e.to_string();
    let kind = match &e {
        zbus::Error::MethodError(name, _, _) if name.as_str().ends_with("AccessDenied") => {
            Kind::Permission
        }
        zbus::Error::FDO(f) if matches!(**f, zbus::fdo::Error::AccessDenied(_)) => Kind::Permission,
        zbus::Error::InputOutput(_) | zbus::Error::Address(_) => Kind::Unreachable,
        _ => Kind::Failed,
    };
    Error::new(kind, format!("D-Bus: {text}"))
}
