//! The one unit-name grammar: every unit piar creates, how its name is built,
//! parsed and globbed.
//!
//! | kind | name | started by |
//! |------|------|------------|
//! | job service | `piar-<job>.service` | `piar submit` (unit file) |
//! | job timer | `piar-<job>.timer` | `piar submit` (unit file) |
//! | run | `piar-<job>.run-<run-id>.service` | `piar trigger` (transient) |
//! | watcher | `piar-<job>.watch-<run-id>.service` | overlap `allow`/`replace` |
//! | manual trigger | `piar-<job>.manual-<id>.service` | `piar run` (transient) |
//! | retry | `piar-<job>.retry-<first-run-id>-<k>.timer`/`.service` | `--retries` |
//! | defer | `piar-<job>.defer-<n>.timer`/`.service` | `require_synced_clock` |
//! | callback | `piar-<job>.cb-<run-id>-<event>-<n>.timer`/`.service` | webhook retries |
//! | resume | `piar-<job>.resume-<unix-seconds>.timer`/`.service` | `pause --until`, `resume --at` |
//!
//! Job names match `[a-z0-9][a-z0-9_-]{0,62}` and never contain `.`, so the
//! first `.` after `piar-` ends the job name and what follows names the kind:
//! the grammar is prefix-free, and no glob of one job or kind matches a unit
//! of another (proved by the table test below). systemd allows `.` inside a
//! unit name's prefix; only the text after the last `.` is the unit type
//! (systemd.unit(5), "unit_name_is_valid"), so the persistent
//! `piar-<job>.service`/`.timer` names of older releases are unchanged.
//!
//! piar <= 0.1 named the transient units `piar-<job>-run-<id>.service`,
//! `piar-<job>-watch-<id>.service`, `piar-<job>-retry-<first>-<k>.timer`,
//! `piar-<job>-defer-<n>.timer` and `piar-cb-<delivery-id>-<n>.timer`. Those
//! names were ambiguous (job `backup`'s run glob `piar-backup-run-*.service`
//! matched job `backup-run-nightly`'s service). Units of that form that are
//! still loaded after an upgrade (a run in flight, a pending retry timer) are
//! recognised by [`Family::select`]: a legacy candidate must have the exact
//! shape of its kind (a `YYYYMMDD-HHMMSS-xxxx` run id, a number) and must not
//! be a unit file in piar's unit directory (a job's persistent unit is a
//! file; a transient unit never is).

/// The literal prefix of every piar unit.
pub const PREFIX: &str = "piar-";

/// What a piar unit is for; see the module table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `piar-<job>.service`, runs `piar trigger <job>`.
    Service,
    /// `piar-<job>.timer`.
    Timer,
    /// The transient service of run `id`.
    Run {
        /// The run id.
        id: String,
    },
    /// The watcher service of run `id` (overlap `allow`/`replace`).
    Watch {
        /// The run id.
        id: String,
    },
    /// The transient service of one `piar run`, running `piar trigger <job>`
    /// like the job's service does; `id` is unique per start (not a run id:
    /// the trigger picks the run id, and may record the run as `skipped`).
    Manual {
        /// `YYYYMMDD-HHMMSS-<16 hex>`, see [`manual`].
        id: String,
    },
    /// Retry `attempt` (2-based: the first retry is attempt 2) of the run `first`.
    Retry {
        /// The first run's id.
        first: String,
        /// The attempt number this timer starts.
        attempt: u32,
    },
    /// Clock-sync deferral timer `n` (`require_synced_clock`).
    Defer {
        /// 1-based count of the deferral.
        n: u32,
    },
    /// Callback delivery attempt `n` of the delivery keyed `key` (`<run-id>-<event>`).
    Callback {
        /// `<run-id>-<event>`, the delivery id without its `piar-<job>-` prefix.
        key: String,
        /// 1-based attempt number.
        n: u32,
    },
    /// The timer that runs `piar resume <job>` at `at` (`pause --until`, `resume --at`).
    Resume {
        /// When, in seconds since the Unix epoch.
        at: u32,
    },
}

/// A parsed piar unit name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitName {
    /// The whole unit name, e.g. `piar-backup.run-20260101-000000-abcd.service`.
    pub unit: String,
    /// The job the unit belongs to.
    pub job: String,
    /// What the unit is.
    pub kind: Kind,
    /// Whether the name has the ambiguous form of piar <= 0.1 (module doc).
    pub legacy: bool,
}

impl UnitName {
    /// The run id of a run or watcher unit.
    pub fn run_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Run { id } | Kind::Watch { id } => Some(id),
            _ => None,
        }
    }
}

/// The HTTP API's socket unit (`units/piar-api.socket`, docs/api.md). It has
/// the shape of job `api`'s units, which is why `api` is a reserved job name
/// (`model::manifest::validate::RESERVED_NAMES`).
pub const API_SOCKET: &str = "piar-api.socket";
/// The HTTP API's service unit (`units/piar-api.service`).
pub const API_SERVICE: &str = "piar-api.service";

/// `piar-<job>.service`: runs `piar trigger <job>`.
pub fn service(job: &str) -> String {
    format!("{PREFIX}{job}.service")
}

/// `piar-<job>.timer`.
pub fn timer(job: &str) -> String {
    format!("{PREFIX}{job}.timer")
}

/// `piar-<job>.run-<run-id>.service`: the transient unit of one run.
pub fn run(job: &str, run_id: &str) -> String {
    format!("{PREFIX}{job}.run-{run_id}.service")
}

/// `piar-<job>.watch-<run-id>.service`: the watcher of a detached run.
pub fn watch(job: &str, run_id: &str) -> String {
    format!("{PREFIX}{job}.watch-{run_id}.service")
}

/// `piar-<job>.manual-<id>.service`: the trigger unit of one `piar run`.
/// Every manual start has a unit of its own, so its start job never merges
/// into the start job of a trigger still running (which a second start of
/// `piar-<job>.service` did: nothing ran and nothing was recorded).
/// `id` matches `[a-z0-9-]{1,64}`; `piar run` uses `YYYYMMDD-HHMMSS-` and
/// 16 random hex digits.
pub fn manual(job: &str, id: &str) -> String {
    format!("{PREFIX}{job}.manual-{id}.service")
}

/// `piar-<job>.retry-<first>-<attempt>`: the stem of a retry timer and its
/// service (append `.timer`/`.service`).
pub fn retry_stem(job: &str, first: &str, attempt: u32) -> String {
    format!("{PREFIX}{job}.retry-{first}-{attempt}")
}

/// `piar-<job>.defer-<n>`: the stem of a clock-sync deferral timer and its service.
pub fn defer_stem(job: &str, n: u32) -> String {
    format!("{PREFIX}{job}.defer-{n}")
}

/// `piar-<job>.cb-<key>-<n>`: the stem of callback attempt `n` of the
/// delivery `key` (`<run-id>-<event>`, see [`Kind::Callback`]).
pub fn callback_stem(job: &str, key: &str, n: usize) -> String {
    format!("{PREFIX}{job}.cb-{key}-{n}")
}

/// `piar-<job>.resume-<at>`: the stem of the timer (and its service) that
/// resumes a paused job at `at` (Unix seconds): `pause --until`, `resume --at`.
pub fn resume_stem(job: &str, at: u32) -> String {
    format!("{PREFIX}{job}.resume-{at}")
}

/// Whether `s` is a job name's character set (`[a-z0-9_-]+`, first not `-`/`_`).
/// The full rule (length, reserved names) is `manifest::validate::validate_name`.
fn is_job(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['-', '_'])
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A run id as piar accepts it (`[a-z0-9-]`, 1 to 64 bytes).
fn is_run_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A run id exactly as piar makes them: `YYYYMMDD-HHMMSS-xxxx` (hex).
fn is_strict_run_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[8] == b'-'
        && b[15] == b'-'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
        && b[16..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// A decimal number without sign or leading zero.
fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Split `piar-<stem>.<service|timer>` into the stem and whether it is a timer.
fn split(unit: &str) -> Option<(&str, bool)> {
    let rest = unit.strip_prefix(PREFIX)?;
    if let Some(stem) = rest.strip_suffix(".service") {
        Some((stem, false))
    } else {
        rest.strip_suffix(".timer").map(|stem| (stem, true))
    }
}

/// Parse a unit name of the current grammar. A stem without `.` is the job's
/// persistent service or timer; a legacy transient name parses as that too
/// (see [`parse_legacy`]). `None` for anything that is not a piar unit.
pub fn parse(unit: &str) -> Option<UnitName> {
    let (stem, is_timer) = split(unit)?;
    let Some((job, rest)) = stem.split_once('.') else {
        let kind = if is_timer { Kind::Timer } else { Kind::Service };
        return is_job(stem).then(|| UnitName {
            unit: unit.to_string(),
            job: stem.to_string(),
            kind,
            legacy: false,
        });
    };
    if !is_job(job) {
        return None;
    }
    let (tag, arg) = rest.split_once('-')?;
    let kind = match tag {
        "run" if !is_timer && is_run_id(arg) => Kind::Run { id: arg.into() },
        "watch" if !is_timer && is_run_id(arg) => Kind::Watch { id: arg.into() },
        "manual" if !is_timer && is_run_id(arg) => Kind::Manual { id: arg.into() },
        "retry" => {
            let (first, k) = arg.rsplit_once('-')?;
            is_run_id(first).then_some(())?;
            Kind::Retry {
                first: first.into(),
                attempt: number(k)?,
            }
        }
        "defer" => Kind::Defer { n: number(arg)? },
        "resume" => Kind::Resume { at: number(arg)? },
        "cb" => {
            let (key, n) = arg.rsplit_once('-')?;
            is_run_id(key).then_some(())?;
            Kind::Callback {
                key: key.into(),
                n: number(n)?,
            }
        }
        _ => return None,
    };
    Some(UnitName {
        unit: unit.to_string(),
        job: job.to_string(),
        kind,
        legacy: false,
    })
}

/// Parse a transient unit name of piar <= 0.1 (module doc), accepting only
/// the exact shapes piar made: a strict `YYYYMMDD-HHMMSS-xxxx` run id and
/// numbers. The answer is a guess that [`Family::select`] confirms by
/// checking that no unit file of that name exists.
pub fn parse_legacy(unit: &str) -> Option<UnitName> {
    let (stem, is_timer) = split(unit)?;
    if stem.contains('.') {
        return None;
    }
    let legacy = |job: &str, kind| {
        is_job(job).then(|| UnitName {
            unit: unit.to_string(),
            job: job.to_string(),
            kind,
            legacy: true,
        })
    };
    // A run id is 20 bytes: `<job>-run-<id>` / `<job>-watch-<id>`.
    if !is_timer && stem.len() > 20 {
        let (head, id) = stem.split_at(stem.len() - 20);
        if is_strict_run_id(id) {
            if let Some(job) = head.strip_suffix("-run-") {
                return legacy(job, Kind::Run { id: id.into() });
            }
            if let Some(job) = head.strip_suffix("-watch-") {
                return legacy(job, Kind::Watch { id: id.into() });
            }
        }
    }
    let (head, n) = stem.rsplit_once('-')?;
    let n = number(n)?;
    if let Some(job) = head.strip_suffix("-defer") {
        return legacy(job, Kind::Defer { n });
    }
    if let Some(delivery) = head.strip_prefix("cb-piar-") {
        // `piar-cb-piar-<job>-<run-id>-<event>-<n>`; events are one or two words.
        for words in [1, 2] {
            let mut parts = delivery.rsplitn(words + 1, '-');
            let event: Vec<&str> = parts.by_ref().take(words).collect();
            let Some(before) = parts.next() else { continue };
            if before.len() > 21 && is_strict_run_id(&before[before.len() - 20..]) {
                let (job, run) = before.split_at(before.len() - 21);
                let event: Vec<&str> = event.into_iter().rev().collect();
                let key = format!("{}-{}", &run[1..], event.join("-"));
                return legacy(job, Kind::Callback { key, n });
            }
        }
        return None;
    }
    if head.len() > 27 {
        let (job_retry, first) = head.split_at(head.len() - 20);
        if is_strict_run_id(first)
            && let Some(job) = job_retry.strip_suffix("-retry-")
        {
            return legacy(
                job,
                Kind::Retry {
                    first: first.into(),
                    attempt: n,
                },
            );
        }
    }
    None
}

/// Which units a [`Family`] selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Run,
    Watch,
    Manual,
    Retry,
    Defer,
    Callback,
    Resume,
}

impl Tag {
    fn of(kind: &Kind) -> Option<Tag> {
        match kind {
            Kind::Service | Kind::Timer => None,
            Kind::Run { .. } => Some(Tag::Run),
            Kind::Watch { .. } => Some(Tag::Watch),
            Kind::Manual { .. } => Some(Tag::Manual),
            Kind::Retry { .. } => Some(Tag::Retry),
            Kind::Defer { .. } => Some(Tag::Defer),
            Kind::Callback { .. } => Some(Tag::Callback),
            Kind::Resume { .. } => Some(Tag::Resume),
        }
    }
}

/// A family of transient units (one job's runs, one delivery's attempts,
/// ...): the globs to pass to `ListUnitsByPatterns` and the exact test that
/// filters its answer. The globs include the legacy form, whose matches are
/// only kept when they parse as this family and are not unit files.
#[derive(Debug, Clone)]
pub struct Family {
    globs: Vec<String>,
    job: Option<String>,
    tag: Tag,
    key: Option<String>,
}

impl Family {
    fn new(tag: Tag, job: Option<&str>, globs: Vec<String>) -> Family {
        Family {
            globs,
            job: job.map(str::to_string),
            tag,
            key: None,
        }
    }

    /// Every run unit of `job`.
    pub fn runs(job: &str) -> Family {
        let globs = vec![
            format!("{PREFIX}{job}.run-*.service"),
            format!("{PREFIX}{job}-run-*.service"),
        ];
        Family::new(Tag::Run, Some(job), globs)
    }

    /// Every run unit of every job.
    pub fn all_runs() -> Family {
        let globs = vec![
            format!("{PREFIX}*.run-*.service"),
            format!("{PREFIX}*-run-*.service"),
        ];
        Family::new(Tag::Run, None, globs)
    }

    /// The run unit of run `id`, whatever its job.
    pub fn run_id(id: &str) -> Family {
        let globs = vec![
            format!("{PREFIX}*.run-{id}.service"),
            format!("{PREFIX}*-run-{id}.service"),
        ];
        let mut f = Family::new(Tag::Run, None, globs);
        f.key = Some(id.to_string());
        f
    }

    /// Every watcher unit of `job`.
    pub fn watchers(job: &str) -> Family {
        let globs = vec![
            format!("{PREFIX}{job}.watch-*.service"),
            format!("{PREFIX}{job}-watch-*.service"),
        ];
        Family::new(Tag::Watch, Some(job), globs)
    }

    /// Every manual trigger unit of `job` (`piar run`). A new kind: there is
    /// no legacy form.
    pub fn manuals(job: &str) -> Family {
        Family::new(
            Tag::Manual,
            Some(job),
            vec![format!("{PREFIX}{job}.manual-*.service")],
        )
    }

    /// Every retry timer of `job`.
    pub fn retries(job: &str) -> Family {
        let globs = vec![
            format!("{PREFIX}{job}.retry-*.timer"),
            format!("{PREFIX}{job}-retry-*.timer"),
        ];
        Family::new(Tag::Retry, Some(job), globs)
    }

    /// Every clock-sync deferral timer of `job`.
    pub fn defers(job: &str) -> Family {
        let globs = vec![
            format!("{PREFIX}{job}.defer-*.timer"),
            format!("{PREFIX}{job}-defer-*.timer"),
        ];
        Family::new(Tag::Defer, Some(job), globs)
    }

    /// Every resume timer of `job` (`pause --until`, `resume --at`). A new
    /// kind: there is no legacy form.
    pub fn resumes(job: &str) -> Family {
        Family::new(
            Tag::Resume,
            Some(job),
            vec![format!("{PREFIX}{job}.resume-*.timer")],
        )
    }

    /// Every unit (timer or service) of the callback delivery `key` of `job`.
    /// `delivery_id` is the legacy glob's key (`piar-<job>-<key>`).
    pub fn callbacks(job: &str, key: &str) -> Family {
        let globs = vec![
            format!("{PREFIX}{job}.cb-{key}-*"),
            format!("{PREFIX}cb-{PREFIX}{job}-{key}-*"),
        ];
        let mut f = Family::new(Tag::Callback, Some(job), globs);
        f.key = Some(key.to_string());
        f
    }

    /// The globs for `ListUnitsByPatterns` (systemd's fnmatch(3) globs).
    pub fn globs(&self) -> Vec<&str> {
        self.globs.iter().map(String::as_str).collect()
    }

    /// Whether the parsed `name` belongs to this family.
    fn contains(&self, name: &UnitName) -> bool {
        if Tag::of(&name.kind) != Some(self.tag)
            || self.job.as_ref().is_some_and(|j| *j != name.job)
        {
            return false;
        }
        match (&self.key, &name.kind) {
            (None, _) => true,
            (Some(k), Kind::Run { id }) => k == id,
            (Some(k), Kind::Callback { key, .. }) => k == key,
            (Some(_), _) => false,
        }
    }

    /// The members of this family among `units` (names from
    /// `ListUnitsByPatterns` with [`Family::globs`]), parsed.
    /// `is_unit_file(name)` tells whether a unit file of that name exists in
    /// piar's unit directory: such a name is a job's persistent unit, never a
    /// legacy transient one.
    pub fn select<'a>(
        &self,
        units: impl IntoIterator<Item = &'a str>,
        is_unit_file: impl Fn(&str) -> bool,
    ) -> Vec<UnitName> {
        units
            .into_iter()
            .filter_map(|u| match parse(u) {
                Some(n) if !matches!(n.kind, Kind::Service | Kind::Timer) => Some(n),
                _ => parse_legacy(u).filter(|_| !is_unit_file(u)),
            })
            .filter(|n| self.contains(n))
            .collect()
    }
}

#[cfg(test)]
mod tests;
