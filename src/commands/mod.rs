//! One module per verb; glue between the CLI, the domain modules and the printer.

#[cfg(feature = "api")]
mod api;
mod approve;
mod calendar;
mod callbacks;
mod doctor;
mod edit;
mod generate;
mod history;
mod import;
mod job_flags;
mod list;
mod logs;
mod options;
mod pause;
mod poll;
mod rm;
mod run;
#[cfg(feature = "api")]
mod serve;
mod show;
mod stop;
mod submit;
mod sync;
mod token;
mod trigger;

use crate::cli::{Cli, Command};
use crate::error::{ExitStatus, Result};
use crate::printer::Printer;
use crate::state::jobs::Store;
use crate::state::layout::{Paths, Scope};
use crate::systemd::Systemd;

/// What every command needs: the scope, its paths, the printer.
pub struct Ctx {
    /// System or user manager.
    pub scope: Scope,
    /// Directories of that scope.
    pub paths: Paths,
    /// The one stdout printer.
    pub out: Printer,
}

impl Ctx {
    /// The manifest store of this scope.
    pub fn store(&self) -> Store {
        Store::new(&self.paths)
    }

    /// A connection to this scope's manager.
    pub fn systemd(&self) -> Result<Systemd> {
        Systemd::connect(self.scope)
    }
}

/// Run the parsed command line.
pub fn dispatch(cli: Cli) -> Result<ExitStatus> {
    // Needs no scope (runs at package build time, maybe without HOME).
    if let Command::Generate(args) = &cli.command {
        return generate::generate(Printer { json: cli.json }, &args.what);
    }
    // Needs no scope or manager either: a pure preview.
    if let Command::Calendar(args) = &cli.command {
        return calendar::calendar(Printer { json: cli.json }, args);
    }
    let scope = if cli.system {
        Scope::System
    } else if cli.user {
        Scope::User
    } else {
        Scope::default_for_euid()
    };
    let ctx = Ctx {
        scope,
        paths: Paths::for_scope(scope)?,
        out: Printer { json: cli.json },
    };
    #[cfg(any(feature = "mcp", feature = "api"))]
    let verbose = cli.verbose;
    match cli.command {
        Command::Submit(args) => submit::submit(&ctx, args),
        Command::List(args) => list::list(&ctx, &args),
        Command::Show(args) => show::show(&ctx, &args.name),
        Command::Edit(args) => edit::edit(&ctx, args),
        Command::Approve(args) => approve::approve(&ctx, &args.name),
        Command::Reject(args) => approve::reject(&ctx, &args.name, args.reason),
        Command::Stop(args) => stop::stop(&ctx, &args.target),
        Command::History(args) => history::history(&ctx, &args.name, args.lines),
        Command::Run(args) => run::run(&ctx, &args.name, args.wait),
        Command::Logs(args) => logs::logs(&ctx, &args),
        Command::Pause(args) => pause::pause(&ctx, &args.name, false, false),
        Command::Resume(args) => pause::pause(&ctx, &args.name, true, args.now),
        Command::Rm(args) => rm::rm(&ctx, &args.name, args.purge),
        Command::Trigger(args) => trigger::trigger(&ctx, &args),
        Command::Secret(args) => callbacks::secret(&ctx, args.action),
        Command::Callbacks(args) => callbacks::callbacks(&ctx, &args),
        Command::Callback(args) => callbacks::callback(&ctx, args.action),
        Command::Verify(args) => callbacks::verify(&ctx, &args),
        Command::Wait(args) => poll::wait(&ctx, &args),
        Command::Result(args) => poll::result(&ctx, &args.run),
        Command::Sync => sync::sync(&ctx),
        Command::Doctor => doctor::doctor(&ctx),
        Command::Generate(args) => generate::generate(ctx.out, &args.what),
        Command::Import(args) => import::import(&ctx, args),
        Command::Calendar(args) => calendar::calendar(ctx.out, &args),
        #[cfg(feature = "mcp")]
        Command::Mcp(args) => crate::mcp::exec_server(ctx.scope, args.allow_approval, verbose),
        #[cfg(feature = "api")]
        Command::Serve(args) => serve::serve(&ctx, &args, verbose),
        Command::Token(args) => token::token(&ctx, args.action),
        #[cfg(feature = "api")]
        Command::Api(args) => api::api(&ctx, args.action),
    }
}

/// Validate a job name given on the command line and load the job.
pub fn load_job(ctx: &Ctx, name: &str) -> Result<crate::model::manifest::Job> {
    crate::model::manifest::validate::validate_name(name)?;
    ctx.store().load(name)
}
