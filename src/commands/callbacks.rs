//! `piar secret`, `piar callbacks`, `piar callback` (internal) and `piar verify`.

use std::io::Read;

use serde::Serialize;

use super::Ctx;
use crate::cli::{
    CallbackAction, CallbacksAction, CallbacksArgs, SecretAction, SubmitCallbackArgs, VerifyArgs,
};
use crate::error::{Error, ExitStatus, Result};
use crate::model::callback as config;
use crate::ops::callback::{self, outbox, sign};
use crate::state::secrets as secret;

/// The `[callback]` table from submit's flags (`None` without `--callback`).
pub(super) fn spec_from_args(a: &SubmitCallbackArgs) -> Result<Option<config::CallbackSpec>> {
    let Some(url) = &a.url else {
        return Ok(None);
    };
    let on = match &a.on {
        Some(t) => config::On::parse(t).map_err(|e| e.context("--callback-on"))?,
        None => config::On::Always,
    };
    let spec = config::CallbackSpec {
        url: url.clone(),
        secret: a.secret.clone(),
        on,
        compat: a.compat.clone(),
        attempts: a.attempts,
        timeout: a.timeout.clone(),
    };
    config::validate(&spec).map_err(|e| e.context("--callback"))?;
    Ok(Some(spec))
}

/// `piar secret set|list|rm`.
pub(super) fn secret(ctx: &Ctx, action: SecretAction) -> Result<ExitStatus> {
    match action {
        SecretAction::Set { name, generate } => {
            secret::validate_name(&name)?;
            let value = if generate {
                sign::generate_secret()?
            } else {
                let mut v = String::new();
                std::io::stdin()
                    .take(secret::MAX_LEN as u64 + 2)
                    .read_to_string(&mut v)
                    .map_err(|e| {
                        Error::invalid(format!("secret {name}: cannot read stdin: {e}"))
                    })?;
                v
            };
            secret::set(&ctx.paths, &name, &value)?;
            #[derive(Serialize)]
            struct View<'a> {
                name: &'a str,
                #[serde(skip_serializing_if = "Option::is_none")]
                secret: Option<&'a str>,
            }
            let shown = generate.then_some(value.as_str());
            if ctx.out.json {
                ctx.out.json(&View {
                    name: &name,
                    secret: shown,
                })?;
            } else if let Some(v) = shown {
                // Printed once: piar never shows it again.
                ctx.out.line(v)?;
            } else {
                ctx.out.line(format!("stored secret {name}"))?;
            }
        }
        SecretAction::List => {
            let names = secret::list(&ctx.paths)?;
            if ctx.out.json {
                ctx.out.json(&names)?;
            } else {
                for n in names {
                    ctx.out.line(n)?;
                }
            }
        }
        SecretAction::Rm { name } => {
            secret::remove(&ctx.paths, &name)?;
            if ctx.out.json {
                ctx.out
                    .json(&serde_json::json!({ "name": name, "removed": true }))?;
            } else {
                ctx.out.line(format!("removed secret {name}"))?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// `piar callbacks [--failed] [retry ID|--all]`.
pub(super) fn callbacks(ctx: &Ctx, args: &CallbacksArgs) -> Result<ExitStatus> {
    if let Some(CallbacksAction::Retry { id, all }) = &args.action {
        let ids: Vec<String> = match (id, all) {
            (Some(id), _) => {
                outbox::validate_id(id)?;
                vec![id.clone()]
            }
            (None, _) => outbox::load_all(&ctx.paths)?
                .into_iter()
                .filter(|d| d.state == outbox::State::Dead)
                .map(|d| d.id)
                .collect(),
        };
        let sd = ctx.systemd()?;
        let mut results = Vec::new();
        for id in &ids {
            results.push(callback::retry(&ctx.paths, &sd, id)?);
        }
        return print(ctx, &results);
    }
    let all: Vec<outbox::Delivery> = outbox::load_all(&ctx.paths)?
        .into_iter()
        .filter(|d| !args.failed || matches!(d.state, outbox::State::Dead | outbox::State::Gone))
        .collect();
    print(ctx, &all)
}

fn print(ctx: &Ctx, list: &[outbox::Delivery]) -> Result<ExitStatus> {
    if ctx.out.json {
        ctx.out.json(list)?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            let last = d.attempts.last();
            vec![
                d.id.clone(),
                d.state.as_str().to_string(),
                format!("{}/{}", d.attempts.len(), d.max_attempts),
                last.map(|a| {
                    a.error
                        .clone()
                        .unwrap_or_else(|| format!("HTTP {}", a.status.unwrap_or_default()))
                })
                .unwrap_or_else(|| "-".into()),
                d.next_attempt_at.clone().unwrap_or_else(|| "-".into()),
                d.url.clone(),
            ]
        })
        .collect();
    ctx.out
        .table(&["ID", "STATE", "ATTEMPTS", "LAST", "NEXT", "URL"], &rows)?;
    Ok(ExitStatus::Success)
}

/// `piar callback deliver ID|rearm` (run by retry timers).
pub(super) fn callback(ctx: &Ctx, action: CallbackAction) -> Result<ExitStatus> {
    match action {
        CallbackAction::Deliver { id } => {
            outbox::validate_id(&id)?;
            let d = callback::deliver(&ctx.paths, None, ctx.scope, &id)?;
            if ctx.out.json {
                ctx.out.json(&d)?;
            }
        }
        CallbackAction::Rearm => {
            let sd = ctx.systemd()?;
            let ids = callback::rearm_all(&ctx.paths, &sd)?;
            if ctx.out.json {
                ctx.out.json(&ids)?;
            } else {
                for id in ids {
                    ctx.out.line(format!("re-armed {id}"))?;
                }
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// `piar verify`: exit 0 valid, 1 invalid (reason on stderr).
pub(super) fn verify(ctx: &Ctx, args: &VerifyArgs) -> Result<ExitStatus> {
    let text = std::fs::read_to_string(&args.secret_file)
        .map_err(|e| Error::io("cannot read secret file", &args.secret_file, e))?;
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| Error::failed(format!("cannot read the body from stdin: {e}")))?;
    let now = jiff::Timestamp::now().as_second();
    match sign::verify(
        &sign::standard_key(&text),
        &args.id,
        &args.timestamp,
        &args.signature,
        &body,
        now,
    ) {
        Ok(()) => {
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "valid": true }))?;
            } else {
                ctx.out.line("valid")?;
            }
            Ok(ExitStatus::Success)
        }
        Err(reason) => Err(Error::failed(format!("invalid signature: {reason}"))),
    }
}
