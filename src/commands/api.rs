//! `piar api enable|disable`: install and start (or stop and remove) the HTTP
//! API's socket-activated units for this scope (docs/api.md).
//!
//! The units are the shipped `units/piar-api.socket` and
//! `units/piar-api.service`. System scope uses the packaged copies in
//! /usr/lib/systemd/system when they exist (a non-default `--listen` becomes
//! a drop-in `piar-api.socket.d/piar-listen.conf`); otherwise, and always in
//! user scope, piar writes them into the scope's unit directory with
//! `ExecStart=` naming this binary and scope.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Ctx;
use crate::cli::ApiAction;
use crate::error::{Error, ExitStatus, Result};
use crate::state::fs::{ensure_dir, write_atomic};
use crate::state::layout::Scope;
use crate::units::names::{API_SERVICE, API_SOCKET};

const SOCKET_TEMPLATE: &str = include_str!("../../units/piar-api.socket");
const SERVICE_TEMPLATE: &str = include_str!("../../units/piar-api.service");
/// The packaged units' directory (the .deb installs them there).
const PACKAGED: &str = "/usr/lib/systemd/system";
/// The shipped default address.
const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// The drop-in `piar api enable --listen` writes.
const LISTEN_DROPIN: &str = "piar-listen.conf";

#[derive(Serialize)]
struct View {
    scope: &'static str,
    socket: &'static str,
    listen: Option<String>,
    written: Vec<PathBuf>,
    removed: Vec<PathBuf>,
    enabled: bool,
}

/// Parse `--listen`: an IP:port on loopback. Errors: exit 2 naming `--listen`.
fn loopback(listen: &str) -> Result<SocketAddr> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Error::invalid(format!(
            "--listen {listen:?}: expected IP:PORT, e.g. 127.0.0.1:8787 or [::1]:8787"
        ))
    })?;
    if !addr.ip().is_loopback() {
        return Err(Error::invalid(format!(
            "--listen {listen}: piar serves plain HTTP on loopback only"
        ))
        .with_hint("listen on 127.0.0.1 and put a TLS reverse proxy in front (docs/api.md)"));
    }
    Ok(addr)
}

fn dropin_dir(unit_dir: &Path) -> PathBuf {
    unit_dir.join(format!("{API_SOCKET}.d"))
}

/// Run one `piar api` action.
pub(super) fn api(ctx: &Ctx, action: ApiAction) -> Result<ExitStatus> {
    let sd = ctx.systemd()?;
    let unit_dir = &ctx.paths.unit_dir;
    let packaged = ctx.scope == Scope::System && Path::new(PACKAGED).join(API_SOCKET).is_file();
    let mut view = View {
        scope: ctx.scope.as_str(),
        socket: API_SOCKET,
        listen: None,
        written: Vec::new(),
        removed: Vec::new(),
        enabled: false,
    };
    match action {
        ApiAction::Enable { listen } => {
            let addr = loopback(&listen)?;
            ensure_dir(unit_dir)?;
            let listen_line = format!("ListenStream={addr}");
            if packaged {
                let dir = dropin_dir(unit_dir);
                let file = dir.join(LISTEN_DROPIN);
                if listen == DEFAULT_LISTEN {
                    if file.exists() {
                        std::fs::remove_file(&file)
                            .map_err(|e| Error::io("cannot remove", &file, e))?;
                        view.removed.push(file);
                    }
                } else {
                    ensure_dir(&dir)?;
                    let text = format!(
                        "# Written by `piar api enable --listen {addr}`.\n[Socket]\nListenStream=\n{listen_line}\n"
                    );
                    write_atomic(&file, text.as_bytes(), 0o644)?;
                    view.written.push(file);
                }
            } else {
                let exe = crate::units::self_exe::current_path()?;
                let exe = exe.to_str().ok_or_else(|| {
                    Error::failed(format!(
                        "the piar binary's path is not UTF-8: {}",
                        exe.display()
                    ))
                })?;
                if exe.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\' || c == '%') {
                    return Err(Error::failed(format!(
                        "the piar binary's path {exe:?} cannot be written into ExecStart="
                    )));
                }
                let scope_flag = format!("--{}", ctx.scope.as_str());
                let socket = SOCKET_TEMPLATE
                    .replace(&format!("ListenStream={DEFAULT_LISTEN}"), &listen_line);
                let mut service = SERVICE_TEMPLATE
                    .replace("/usr/bin/piar --system", &format!("{exe} {scope_flag}"));
                if ctx.scope == Scope::User {
                    // The user manager has no dbus.service ordering to offer.
                    service = service.replace(" dbus.service", "");
                }
                for (name, text) in [(API_SOCKET, socket), (API_SERVICE, service)] {
                    let path = unit_dir.join(name);
                    write_atomic(&path, text.as_bytes(), 0o644)?;
                    view.written.push(path);
                }
            }
            sd.reload()?;
            sd.enable(&[API_SOCKET])?;
            // A changed address takes effect only on a fresh socket.
            let _ = sd.stop(API_SERVICE);
            let _ = sd.stop(API_SOCKET);
            sd.start(API_SOCKET)?;
            view.listen = Some(addr.to_string());
            view.enabled = true;
        }
        ApiAction::Disable => {
            let _ = sd.stop(API_SERVICE);
            let _ = sd.stop(API_SOCKET);
            if sd.loaded_unit(API_SOCKET)?.is_some() || unit_dir.join(API_SOCKET).exists() {
                let _ = sd.disable(&[API_SOCKET]);
            }
            let mut files = vec![dropin_dir(unit_dir).join(LISTEN_DROPIN)];
            if !packaged {
                files.push(unit_dir.join(API_SOCKET));
                files.push(unit_dir.join(API_SERVICE));
            }
            for f in files {
                if f.exists() {
                    std::fs::remove_file(&f).map_err(|e| Error::io("cannot remove", &f, e))?;
                    crate::durable::sync_parent(&f)?;
                    view.removed.push(f);
                }
            }
            sd.reload()?;
        }
    }
    if ctx.out.json {
        ctx.out.json(&view)?;
    } else if view.enabled {
        ctx.out.line(format!(
            "{API_SOCKET} listens on http://{} ({} scope); create a token: piar token create NAME --scope read",
            view.listen.as_deref().unwrap_or(""),
            view.scope
        ))?;
    } else {
        ctx.out.line(format!("{API_SOCKET} stopped and disabled"))?;
    }
    Ok(ExitStatus::Success)
}
