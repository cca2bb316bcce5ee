//! piar's own log lines: to the journal when stderr is connected to it (as in
//! `piar-<name>.service`), to stderr otherwise.

/// Install the logger. `verbose`: 0 warnings, 1 info, 2+ debug (`PIAR_LOG`
/// overrides with an env_logger filter, e.g. `PIAR_LOG=debug`). Under the
/// journal, piar logs at info, and `job` (the job of `piar trigger <job>`)
/// tags every line with `PIAR_JOB=<job>`, `run` (the run it records) with
/// `PIAR_RUN=<run-id>`, so `piar logs --run ID` has the trigger's own lines
/// too.
pub fn init(verbose: u8, job: Option<&str>, run: Option<&str>) {
    let level = match verbose {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    if systemd_journal_logger::connected_to_journal() {
        let mut extra = Vec::new();
        if let Some(job) = job {
            extra.push(("PIAR_JOB", job.to_string()));
        }
        if let Some(run) = run {
            extra.push(("PIAR_RUN", run.to_string()));
        }
        if let Ok(logger) = systemd_journal_logger::JournalLog::new() {
            let logger = logger
                .with_extra_fields(extra)
                .with_syslog_identifier("piar".to_string());
            if logger.install().is_ok() {
                log::set_max_level(level.max(log::LevelFilter::Info));
                return;
            }
        }
    }
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level).format_timestamp(None);
    if let Ok(spec) = std::env::var("PIAR_LOG") {
        builder.parse_filters(&spec);
    }
    let _ = builder.try_init();
}
