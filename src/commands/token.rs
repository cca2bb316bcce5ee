//! `piar token create|list|rm`: the HTTP API's bearer tokens (crate::api::tokens).

use serde::Serialize;

use super::Ctx;
use crate::api::tokens::{self, Scope};
use crate::cli::TokenAction;
use crate::error::{ExitStatus, Result};

/// Run one `piar token` action. `create` prints the token once (JSON:
/// `{"name", "scope", "jobs_prefix", "created", "token"}`); `list` prints the
/// records without hashes; `rm` prints `{"name", "removed": true}`.
/// Errors: bad name/scope/prefix (exit 2), name exists (4), no such token (3).
pub(super) fn token(ctx: &Ctx, action: TokenAction) -> Result<ExitStatus> {
    match action {
        TokenAction::Create { name, scope, jobs } => {
            let scope = Scope::parse(&scope)?;
            let (token, mut rec) = tokens::create(&ctx.paths, &name, scope, jobs.as_deref())?;
            rec.sha256.clear();
            #[derive(Serialize)]
            struct View<'a> {
                #[serde(flatten)]
                rec: &'a tokens::Token,
                token: &'a str,
            }
            if ctx.out.json {
                ctx.out.json(&View {
                    rec: &rec,
                    token: &token,
                })?;
            } else {
                // Printed once: piar stores only its hash.
                ctx.out.line(&token)?;
            }
        }
        TokenAction::List => {
            let mut all = tokens::load(&ctx.paths)?;
            for t in &mut all {
                t.sha256.clear();
            }
            if ctx.out.json {
                ctx.out.json(&all)?;
            } else {
                let rows = all
                    .iter()
                    .map(|t| {
                        vec![
                            t.name.clone(),
                            t.scope.as_str().to_string(),
                            t.jobs_prefix.clone().unwrap_or_else(|| "*".into()),
                            t.created.clone(),
                        ]
                    })
                    .collect::<Vec<_>>();
                ctx.out
                    .table(&["NAME", "SCOPE", "JOBS", "CREATED"], &rows)?;
            }
        }
        TokenAction::Rm { name } => {
            tokens::remove(&ctx.paths, &name)?;
            if ctx.out.json {
                ctx.out
                    .json(&serde_json::json!({"name": name, "removed": true}))?;
            } else {
                ctx.out.line(format!("removed token {name}"))?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
