# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_piar_global_optspecs
    string join \n system user json v/verbose h/help V/version
end

function __fish_piar_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_piar_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_piar_using_subcommand
    set -l cmd (__fish_piar_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c piar -n "__fish_piar_needs_command" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_needs_command" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_needs_command" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_needs_command" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_needs_command" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_needs_command" -f -a "submit" -d 'Create a job: write its manifest and units, enable and start its timer'
complete -c piar -n "__fish_piar_needs_command" -f -a "list" -d 'List jobs with their schedule, next and last run, sorted by name'
complete -c piar -n "__fish_piar_needs_command" -f -a "ls" -d 'List jobs with their schedule, next and last run, sorted by name'
complete -c piar -n "__fish_piar_needs_command" -f -a "show" -d 'Show one job: manifest, generated units, next runs, last runs'
complete -c piar -n "__fish_piar_needs_command" -f -a "edit" -d 'Change a job in place: schedule, command, env, timeout, callback, ...'
complete -c piar -n "__fish_piar_needs_command" -f -a "approve" -d 'Approve a job submitted with --require-approval: enable its timer'
complete -c piar -n "__fish_piar_needs_command" -f -a "reject" -d 'Reject a job pending approval: remove its units, keep it listed as rejected'
complete -c piar -n "__fish_piar_needs_command" -f -a "stop" -d 'Stop a running run of a job (or one run by id); it is recorded as `canceled`'
complete -c piar -n "__fish_piar_needs_command" -f -a "history" -d 'List a job\'s past runs: start, status, duration, artifact (`--json`: Run objects)'
complete -c piar -n "__fish_piar_needs_command" -f -a "calendar" -d 'Preview a schedule: the timer lines piar would write, a description, the next runs'
complete -c piar -n "__fish_piar_needs_command" -f -a "run" -d 'Start a run now: the trigger the job\'s timer runs, in a unit of its own'
complete -c piar -n "__fish_piar_needs_command" -f -a "logs" -d 'Show a job\'s log lines from the journal'
complete -c piar -n "__fish_piar_needs_command" -f -a "pause" -d 'Stop and disable a job\'s timer; the manifest remembers it is paused'
complete -c piar -n "__fish_piar_needs_command" -f -a "resume" -d 'Re-enable and start a paused job\'s timer'
complete -c piar -n "__fish_piar_needs_command" -f -a "rm" -d 'Remove a job: stop it, disable and delete its units and manifest'
complete -c piar -n "__fish_piar_needs_command" -f -a "remove" -d 'Remove a job: stop it, disable and delete its units and manifest'
complete -c piar -n "__fish_piar_needs_command" -f -a "trigger" -d 'Run one job now and record it (what piar-<name>.service executes)'
complete -c piar -n "__fish_piar_needs_command" -f -a "secret" -d 'Manage named callback secrets (stored 0600 under the state directory)'
complete -c piar -n "__fish_piar_needs_command" -f -a "callbacks" -d 'List callback deliveries and their attempts; `retry` redelivers dead letters'
complete -c piar -n "__fish_piar_needs_command" -f -a "callback" -d 'Internal: deliver or re-arm callbacks (what retry timers run)'
complete -c piar -n "__fish_piar_needs_command" -f -a "verify" -d 'Check a Standard Webhooks signature (for receivers): body on stdin'
complete -c piar -n "__fish_piar_needs_command" -f -a "wait" -d 'Wait until a run finishes (through retries); exit with its status'
complete -c piar -n "__fish_piar_needs_command" -f -a "result" -d 'Print one run (the Run shape, with its output tail), whatever its status'
complete -c piar -n "__fish_piar_needs_command" -f -a "sync" -d 'Apply drop-in manifests and repair units: create, update or remove jobs'
complete -c piar -n "__fish_piar_needs_command" -f -a "recover" -d 'Repair what a crash or power cut left, with no person needed (run at boot)'
complete -c piar -n "__fish_piar_needs_command" -f -a "doctor" -d 'Check systemd, permissions, lingering, clock sync, drift and disk space'
complete -c piar -n "__fish_piar_needs_command" -f -a "generate" -d 'Write man pages or shell completions generated from this binary (for packagers)'
complete -c piar -n "__fish_piar_needs_command" -f -a "import" -d 'Create jobs from a crontab or from pi-agent-runner\'s manifests'
complete -c piar -n "__fish_piar_needs_command" -f -a "mcp" -d 'Serve the Model Context Protocol on stdin/stdout for AI agents'
complete -c piar -n "__fish_piar_needs_command" -f -a "serve" -d 'Serve the HTTP API (started by piar-api.socket; see docs/api.md)'
complete -c piar -n "__fish_piar_needs_command" -f -a "token" -d 'Manage the HTTP API\'s bearer tokens'
complete -c piar -n "__fish_piar_needs_command" -f -a "api" -d 'Install or remove the HTTP API\'s socket and service units'
complete -c piar -n "__fish_piar_using_subcommand submit" -s n -l name -d 'Job name, [a-z0-9][a-z0-9_-]{0,62}; derived from the command if omitted' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l at -d 'Once, at a time (read in --tz): RFC 3339 (2026-12-01T09:00:00+01:00), \'YYYY-MM-DD HH:MM[:SS]\', a clock time \'HH:MM\' or 9am (tomorrow if it has passed today, as at(1); piar says so), a span \'20m\', \'2h\', \'1d\' or \'in 5m\', \'+90s\', \'now\', \'tomorrow 9am\', \'tomorrow at 9am\', \'next monday 08:30\'. Single letters and letters glued to numbers (\'10a\') are refused: never read as military time zones' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l every -d 'Soon after submit, then every interval: 90s, 15m, 6h, 1d, 1h30m' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l cron -d '5-field cron expression (crontab(5)), read in --tz: \'0 9 * * 1-5\', \'@daily\'' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l on-calendar -d 'Raw systemd calendar spec (systemd.time(7)), repeatable: \'Mon *-*-* 09:00\'' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l tz -d 'IANA time zone for --cron and --at (default: the system zone, written into the manifest)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l timeout -d 'Stop the run after this long (30s, 10m, 2h; default 6h; 0 = no limit)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -s e -l env -d 'Environment variable for the run (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l workdir -d 'Working directory of the run (absolute path)' -r -F
complete -c piar -n "__fish_piar_using_subcommand submit" -s d -l description -d 'Free text describing the job' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l meta -d 'Metadata kept with the job for you or your agent (repeatable KEY=VALUE)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l keep-runs -d 'Keep this many run records (default 100); older ones are deleted after each run' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l callback -d 'POST a signed JSON payload to this http(s) URL when a run finishes' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l callback-secret -d 'Sign with this named secret (`piar secret set NAME`)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l callback-on -d 'Which runs send a callback: success, failure or always (default)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l callback-compat -d 'Also send pi-agent-runner\'s X-Runner-* headers: `pi-agent-runner`' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l callback-attempts -d 'Delivery attempts before a callback is dead-lettered (1-20, default 8)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l callback-timeout -d 'Total timeout of one delivery attempt (default 30s)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l stdin -d 'The run\'s standard input, a template rendered per run: \'Write the brief for {{ date }}\'' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l stdin-file -d 'Like --stdin, with the template read from FILE (UTF-8, at most 64 KiB)' -r -F
complete -c piar -n "__fish_piar_using_subcommand submit" -l var -d 'A template variable, {{ vars.KEY }} (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l output -d 'Save each run\'s stdout to this path template, atomically (at most 16 MiB); relative paths go under the state dir\'s artifacts/. A failed run writes PATH.failed instead' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l fail-on-empty-output -d 'Count a run that wrote nothing to stdout as failed (needs --output): the record says `failed` with the reason, PATH.failed is written, retries apply. `--fail-on-empty-output=false` turns it off again (edit)' -r -f -a "true\t''
false\t''"
complete -c piar -n "__fish_piar_using_subcommand submit" -l overlap -d 'When the previous run is still active: forbid (default: skip this run), allow (run both) or replace (stop the old run)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l retries -d 'Retry a failed or timed-out run up to N times (0-10), with exponential backoff' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l retry-delay -d 'Delay before the first retry (default 30s), doubled for each further one, at most 1h' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l memory-max -d 'Memory limit of the run (MemoryMax=): bytes or 512K, 256M, 2G' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l cpu-quota -d 'CPU limit in percent of one CPU (CPUQuota=): 50%, 200%' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l nice -d 'Nice level of the run, -20 (first) to 19 (last)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l run-as -d 'Run as this user (User=; system scope only)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l sandbox -d '`strict`: read-only system, private /tmp and devices, no privilege gain; the workdir stays writable. `none`: no sandbox' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l env-file -d 'Read KEY=VALUE lines into the job\'s environment (repeatable; --env wins)' -r -F
complete -c piar -n "__fish_piar_using_subcommand submit" -l credential -d 'Expose piar secret SECRET (default: NAME) to the run as the file $CREDENTIALS_DIRECTORY/NAME (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -s f -l file -d 'Read the job from a manifest file (see piar.toml(5)); command-line options then may only add --name, --replace, --dry-run and the template flags' -r -F
complete -c piar -n "__fish_piar_using_subcommand submit" -l idempotency-key -d 'Submit at most once per key: if a job with this key exists, print it (`"deduplicated": true`) and change nothing, whatever the other flags say' -r
complete -c piar -n "__fish_piar_using_subcommand submit" -l manual -d 'No timer: the job runs only through `piar run`'
complete -c piar -n "__fish_piar_using_subcommand submit" -l require-synced-clock -d 'Run only while the clock is NTP-synchronised; otherwise defer the run and retry every 30s (for up to 2h). For Pis without a real-time clock'
complete -c piar -n "__fish_piar_using_subcommand submit" -l template-args -d 'Render the command\'s arguments (not the program) as templates too'
complete -c piar -n "__fish_piar_using_subcommand submit" -l replace -d 'Replace an existing job of the same name (its run history is kept)'
complete -c piar -n "__fish_piar_using_subcommand submit" -l dry-run -d 'Print the manifest and unit files that would be written; change nothing'
complete -c piar -n "__fish_piar_using_subcommand submit" -l require-approval -d 'Store the job as pending approval: nothing fires (and `piar run` refuses) until `piar approve NAME`'
complete -c piar -n "__fish_piar_using_subcommand submit" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand submit" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand submit" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand submit" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand submit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand submit" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand list" -l state -d 'Only jobs in this state (repeat for several: any of them): waiting, running, paused, manual, pending-approval, rejected, completed, failed, done, inactive, invalid' -r
complete -c piar -n "__fish_piar_using_subcommand list" -s l -l selector -d 'Only jobs whose metadata KEY equals VALUE (set with --meta); repeat for several (all must match)' -r
complete -c piar -n "__fish_piar_using_subcommand list" -l names -d 'Print only the job names, one per line, sorted (reads the manifests only, no systemd query: for scripts and shell completion)'
complete -c piar -n "__fish_piar_using_subcommand list" -l failed -d 'Only jobs whose last run failed (status failed, timed_out or lost)'
complete -c piar -n "__fish_piar_using_subcommand list" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand list" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand list" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand list" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand list" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand ls" -l state -d 'Only jobs in this state (repeat for several: any of them): waiting, running, paused, manual, pending-approval, rejected, completed, failed, done, inactive, invalid' -r
complete -c piar -n "__fish_piar_using_subcommand ls" -s l -l selector -d 'Only jobs whose metadata KEY equals VALUE (set with --meta); repeat for several (all must match)' -r
complete -c piar -n "__fish_piar_using_subcommand ls" -l names -d 'Print only the job names, one per line, sorted (reads the manifests only, no systemd query: for scripts and shell completion)'
complete -c piar -n "__fish_piar_using_subcommand ls" -l failed -d 'Only jobs whose last run failed (status failed, timed_out or lost)'
complete -c piar -n "__fish_piar_using_subcommand ls" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand ls" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand ls" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand ls" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand ls" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand ls" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand show" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand show" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand show" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand show" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand show" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand edit" -l at -d 'Once, at a time (read in --tz): RFC 3339 (2026-12-01T09:00:00+01:00), \'YYYY-MM-DD HH:MM[:SS]\', a clock time \'HH:MM\' or 9am (tomorrow if it has passed today, as at(1); piar says so), a span \'20m\', \'2h\', \'1d\' or \'in 5m\', \'+90s\', \'now\', \'tomorrow 9am\', \'tomorrow at 9am\', \'next monday 08:30\'. Single letters and letters glued to numbers (\'10a\') are refused: never read as military time zones' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l every -d 'Soon after submit, then every interval: 90s, 15m, 6h, 1d, 1h30m' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l cron -d '5-field cron expression (crontab(5)), read in --tz: \'0 9 * * 1-5\', \'@daily\'' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l on-calendar -d 'Raw systemd calendar spec (systemd.time(7)), repeatable: \'Mon *-*-* 09:00\'' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l tz -d 'IANA time zone for --cron and --at (default: the system zone, written into the manifest)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l timeout -d 'Stop the run after this long (30s, 10m, 2h; default 6h; 0 = no limit)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -s e -l env -d 'Environment variable for the run (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l workdir -d 'Working directory of the run (absolute path)' -r -F
complete -c piar -n "__fish_piar_using_subcommand edit" -s d -l description -d 'Free text describing the job' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l meta -d 'Metadata kept with the job for you or your agent (repeatable KEY=VALUE)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l keep-runs -d 'Keep this many run records (default 100); older ones are deleted after each run' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l callback -d 'POST a signed JSON payload to this http(s) URL when a run finishes' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l callback-secret -d 'Sign with this named secret (`piar secret set NAME`)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l callback-on -d 'Which runs send a callback: success, failure or always (default)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l callback-compat -d 'Also send pi-agent-runner\'s X-Runner-* headers: `pi-agent-runner`' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l callback-attempts -d 'Delivery attempts before a callback is dead-lettered (1-20, default 8)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l callback-timeout -d 'Total timeout of one delivery attempt (default 30s)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l stdin -d 'The run\'s standard input, a template rendered per run: \'Write the brief for {{ date }}\'' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l stdin-file -d 'Like --stdin, with the template read from FILE (UTF-8, at most 64 KiB)' -r -F
complete -c piar -n "__fish_piar_using_subcommand edit" -l var -d 'A template variable, {{ vars.KEY }} (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l output -d 'Save each run\'s stdout to this path template, atomically (at most 16 MiB); relative paths go under the state dir\'s artifacts/. A failed run writes PATH.failed instead' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l fail-on-empty-output -d 'Count a run that wrote nothing to stdout as failed (needs --output): the record says `failed` with the reason, PATH.failed is written, retries apply. `--fail-on-empty-output=false` turns it off again (edit)' -r -f -a "true\t''
false\t''"
complete -c piar -n "__fish_piar_using_subcommand edit" -l overlap -d 'When the previous run is still active: forbid (default: skip this run), allow (run both) or replace (stop the old run)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l retries -d 'Retry a failed or timed-out run up to N times (0-10), with exponential backoff' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l retry-delay -d 'Delay before the first retry (default 30s), doubled for each further one, at most 1h' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l memory-max -d 'Memory limit of the run (MemoryMax=): bytes or 512K, 256M, 2G' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l cpu-quota -d 'CPU limit in percent of one CPU (CPUQuota=): 50%, 200%' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l nice -d 'Nice level of the run, -20 (first) to 19 (last)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l run-as -d 'Run as this user (User=; system scope only)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l sandbox -d '`strict`: read-only system, private /tmp and devices, no privilege gain; the workdir stays writable. `none`: no sandbox' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l env-file -d 'Read KEY=VALUE lines into the job\'s environment (repeatable; --env wins)' -r -F
complete -c piar -n "__fish_piar_using_subcommand edit" -l credential -d 'Expose piar secret SECRET (default: NAME) to the run as the file $CREDENTIALS_DIRECTORY/NAME (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l unset-env -d 'Remove an environment variable (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l unset-meta -d 'Remove a metadata key (repeatable)' -r
complete -c piar -n "__fish_piar_using_subcommand edit" -l manual -d 'No timer: the job runs only through `piar run`'
complete -c piar -n "__fish_piar_using_subcommand edit" -l require-synced-clock -d 'Run only while the clock is NTP-synchronised; otherwise defer the run and retry every 30s (for up to 2h). For Pis without a real-time clock'
complete -c piar -n "__fish_piar_using_subcommand edit" -l template-args -d 'Render the command\'s arguments (not the program) as templates too'
complete -c piar -n "__fish_piar_using_subcommand edit" -l no-callback -d 'Remove the job\'s callback'
complete -c piar -n "__fish_piar_using_subcommand edit" -l dry-run -d 'Print a unified diff of the manifest and unit files; change nothing'
complete -c piar -n "__fish_piar_using_subcommand edit" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand edit" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand edit" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand edit" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand edit" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand approve" -l run-now -d 'Also run the job once now: the way to approve a one-shot whose time has passed'
complete -c piar -n "__fish_piar_using_subcommand approve" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand approve" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand approve" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand approve" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand approve" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand reject" -l reason -d 'Why (kept in the manifest, shown by `piar show`)' -r
complete -c piar -n "__fish_piar_using_subcommand reject" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand reject" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand reject" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand reject" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand reject" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand reject" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand stop" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand stop" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand stop" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand stop" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand stop" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand stop" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand history" -s n -l lines -d 'Show the newest N runs (default 20)' -r
complete -c piar -n "__fish_piar_using_subcommand history" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand history" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand history" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand history" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand history" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand history" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand calendar" -l cron -d 'Instead of EXPR: a 5-field cron line (crontab(5)) or @alias' -r
complete -c piar -n "__fish_piar_using_subcommand calendar" -l on-calendar -d 'Instead of EXPR: a systemd calendar spec (systemd.time(7))' -r
complete -c piar -n "__fish_piar_using_subcommand calendar" -l at -d 'Instead of EXPR: a one-shot time, read as `submit --at` reads it: RFC 3339, \'YYYY-MM-DD HH:MM\', \'HH:MM\' (tomorrow if passed), \'20m\', \'in 5m\', \'now\', \'tomorrow at 9am\', \'next monday 08:30\'' -r
complete -c piar -n "__fish_piar_using_subcommand calendar" -l every -d 'Instead of EXPR: an interval, read as `submit --every` reads it' -r
complete -c piar -n "__fish_piar_using_subcommand calendar" -l tz -d 'IANA time zone for cron lines and --at times (default: the system zone)' -r
complete -c piar -n "__fish_piar_using_subcommand calendar" -s n -l count -d 'How many next runs to show (1-1000)' -r
complete -c piar -n "__fish_piar_using_subcommand calendar" -l from -d 'Compute from this instant (RFC 3339) instead of now' -r
complete -c piar -n "__fish_piar_using_subcommand calendar" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand calendar" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand calendar" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand calendar" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand calendar" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand calendar" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand run" -l date -d 'Render the templates as if for the job\'s slot on this day (YYYY-MM-DD in the job\'s zone: its first scheduled time that day, else midnight): a backfill' -r
complete -c piar -n "__fish_piar_using_subcommand run" -l scheduled-for -d 'Render the templates as if the timer was due at TIME (RFC 3339, or \'YYYY-MM-DD HH:MM[:SS]\' in the job\'s zone): a backfill of that slot' -r
complete -c piar -n "__fish_piar_using_subcommand run" -s w -l wait -d 'Wait for the run to finish and exit with the job\'s status (its exit code, 128+N for signal N, 124 for a timeout). When an overlap=forbid run is still active, the run is recorded as skipped: that record is printed and the exit status is 0'
complete -c piar -n "__fish_piar_using_subcommand run" -l dry-run -d 'Run nothing: print what the run would get (its argv, standard input and artifact path, templates rendered for the slot of --date/--scheduled-for or now)'
complete -c piar -n "__fish_piar_using_subcommand run" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand run" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand run" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand run" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand run" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand logs" -s n -l lines -d 'Show the last N lines' -r
complete -c piar -n "__fish_piar_using_subcommand logs" -l run -d 'Only the lines of this run (a run id from `piar show`)' -r
complete -c piar -n "__fish_piar_using_subcommand logs" -s f -l follow -d 'Keep printing new lines as they are written'
complete -c piar -n "__fish_piar_using_subcommand logs" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand logs" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand logs" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand logs" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand logs" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand logs" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand pause" -l until -d 'Resume by itself at this time (\'tomorrow 8am\', \'in 2h\', RFC 3339; as --at reads it, in the system\'s zone)' -r
complete -c piar -n "__fish_piar_using_subcommand pause" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand pause" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand pause" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand pause" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand pause" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand pause" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand resume" -l at -d 'Do not resume now: keep the job paused and resume it at this time (as --at reads it)' -r
complete -c piar -n "__fish_piar_using_subcommand resume" -l now -d 'Also run the job once now (by default it runs at its next scheduled time)'
complete -c piar -n "__fish_piar_using_subcommand resume" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand resume" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand resume" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand resume" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand resume" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand rm" -l purge -d 'Also delete the job\'s run records'
complete -c piar -n "__fish_piar_using_subcommand rm" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand rm" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand rm" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand rm" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand rm" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand rm" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand remove" -l purge -d 'Also delete the job\'s run records'
complete -c piar -n "__fish_piar_using_subcommand remove" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand remove" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand remove" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand remove" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand remove" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand remove" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand trigger" -l retry-of -d 'Internal: this run retries the failed run RUN (its first attempt)' -r
complete -c piar -n "__fish_piar_using_subcommand trigger" -l attempt -d 'Internal: the attempt number of this retry (2 = first retry)' -r
complete -c piar -n "__fish_piar_using_subcommand trigger" -l watch -d 'Internal: wait for the already started run RUN and record it (what a detached run\'s watcher unit executes)' -r
complete -c piar -n "__fish_piar_using_subcommand trigger" -l run-id -d 'Internal: record this run under the id RUN (chosen and printed by `piar run` before the trigger started)' -r
complete -c piar -n "__fish_piar_using_subcommand trigger" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand trigger" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand trigger" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand trigger" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand trigger" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand trigger" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -f -a "set" -d 'Store a secret: the value is read from stdin (one line), or generated'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -f -a "list" -d 'List the secrets\' names (never their values)'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -f -a "ls" -d 'List the secrets\' names (never their values)'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -f -a "rm" -d 'Delete a secret'
complete -c piar -n "__fish_piar_using_subcommand secret; and not __fish_seen_subcommand_from set list ls rm remove" -f -a "remove" -d 'Delete a secret'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from set" -l generate -d 'Generate a new `whsec_` secret and print it once (give it to the receiver)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from set" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from set" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from set" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from set" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from list" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from list" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from ls" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from ls" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from ls" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from rm" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from rm" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from rm" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from remove" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from remove" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from remove" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand secret; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -l failed -d 'Only dead-lettered and gone deliveries'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and not __fish_seen_subcommand_from retry" -f -a "retry" -d 'Redeliver a dead-lettered (or gone) delivery now, with a fresh attempt budget'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and __fish_seen_subcommand_from retry" -l all -d 'Every dead-lettered delivery'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and __fish_seen_subcommand_from retry" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and __fish_seen_subcommand_from retry" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and __fish_seen_subcommand_from retry" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand callbacks; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -f -a "deliver" -d 'Make the next attempt of one delivery'
complete -c piar -n "__fish_piar_using_subcommand callback; and not __fish_seen_subcommand_from deliver rearm" -f -a "rearm" -d 'Re-arm pending deliveries that have no retry timer'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from deliver" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from deliver" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from deliver" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from deliver" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from deliver" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from deliver" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from rearm" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from rearm" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from rearm" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from rearm" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from rearm" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand callback; and __fish_seen_subcommand_from rearm" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand verify" -l secret-file -d 'File holding the secret (`whsec_<base64>`)' -r -F
complete -c piar -n "__fish_piar_using_subcommand verify" -l id -d 'The `webhook-id` header' -r
complete -c piar -n "__fish_piar_using_subcommand verify" -l timestamp -d 'The `webhook-timestamp` header (Unix seconds)' -r
complete -c piar -n "__fish_piar_using_subcommand verify" -l signature -d 'The `webhook-signature` header (`v1,<base64>`, possibly several)' -r
complete -c piar -n "__fish_piar_using_subcommand verify" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand verify" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand verify" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand verify" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand verify" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand wait" -l timeout -d 'Give up after this long (30s, 10m; default: wait forever): exit 75 with the error `timeout`; the run goes on' -r
complete -c piar -n "__fish_piar_using_subcommand wait" -l next -d 'With a job name: wait for the job\'s next run even when one is in progress'
complete -c piar -n "__fish_piar_using_subcommand wait" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand wait" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand wait" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand wait" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand wait" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand result" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand result" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand result" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand result" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand result" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand result" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand sync" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand sync" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand sync" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand sync" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand sync" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand recover" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand recover" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand recover" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand recover" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand recover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand recover" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand doctor" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand doctor" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand doctor" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand doctor" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -f -a "man" -d 'Write piar.1 and one piar-<verb>.1 per subcommand into DIR'
complete -c piar -n "__fish_piar_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -f -a "completions" -d 'Print the completion script for SHELL, or write it into DIR under the name that shell\'s vendor directory expects (piar, _piar, piar.fish)'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from man" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from man" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from man" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from man" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from man" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from man" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from completions" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from completions" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from completions" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from completions" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand generate; and __fish_seen_subcommand_from completions" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -f -a "crontab" -d 'One job per crontab line: FILE, or `-` for stdin'
complete -c piar -n "__fish_piar_using_subcommand import; and not __fish_seen_subcommand_from crontab pi-agent-runner" -f -a "pi-agent-runner" -d 'One job per pi-agent-runner systemd manifest (DIR/*.json)'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l prefix -d 'Prefix for the derived job names (e.g. `cron-`)' -r
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l tz -d 'Default IANA time zone (default: the system zone)' -r
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l system-crontab -d 'The file has a user column (the /etc/crontab and /etc/cron.d format); implied for those paths'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l dry-run -d 'Print the jobs that would be created; change nothing'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l strict -d 'Write nothing at all if any entry is bad'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l replace -d 'Replace existing jobs of the same name whose content differs'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from crontab" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l api-url -d 'The runner API that the jobs POST to' -r
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l prefix -d 'Prefix for the derived job names (e.g. `cron-`)' -r
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l tz -d 'Default IANA time zone (default: the system zone)' -r
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l dry-run -d 'Print the jobs that would be created; change nothing'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l strict -d 'Write nothing at all if any entry is bad'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l replace -d 'Replace existing jobs of the same name whose content differs'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand import; and __fish_seen_subcommand_from pi-agent-runner" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand mcp" -l allow-approval -d 'Also offer the approve_job and reject_job tools. Without it an agent cannot approve the jobs it submitted with require_approval'
complete -c piar -n "__fish_piar_using_subcommand mcp" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand mcp" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand mcp" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand mcp" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand mcp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand mcp" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand serve" -l idle -d 'Exit after this many seconds without a request (0: never)' -r
complete -c piar -n "__fish_piar_using_subcommand serve" -l listen -d 'Listen on this loopback address (e.g. 127.0.0.1:8787) instead of the socket systemd passes' -r
complete -c piar -n "__fish_piar_using_subcommand serve" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand serve" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand serve" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand serve" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c piar -n "__fish_piar_using_subcommand serve" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -f -a "create" -d 'Create a token and print it once (it is stored only hashed)'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -f -a "list" -d 'List the tokens (names, scopes, prefixes; never the tokens)'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -f -a "ls" -d 'List the tokens (names, scopes, prefixes; never the tokens)'
complete -c piar -n "__fish_piar_using_subcommand token; and not __fish_seen_subcommand_from create list ls rm" -f -a "rm" -d 'Remove a token: requests with it are refused from then on'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -l scope -d 'What it may do: read, submit (read + change jobs), approve (read + approve/reject) or admin (everything)' -r
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -l jobs -d 'Limit it to jobs whose name starts with PREFIX' -r
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from list" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from list" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from ls" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from ls" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from ls" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from rm" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from rm" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from rm" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand token; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -f -a "enable" -d 'Install piar-api.socket and piar-api.service for this scope and start the socket (user scope: into ~/.config/systemd/user; system scope: the package ships them, this enables them)'
complete -c piar -n "__fish_piar_using_subcommand api; and not __fish_seen_subcommand_from enable disable" -f -a "disable" -d 'Stop and disable the socket; user scope: remove the installed units'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from enable" -l listen -d 'The address systemd listens on (ListenStream=), loopback only' -r
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from enable" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from enable" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from enable" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from enable" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from enable" -s V -l version -d 'Print version'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from disable" -l system -d 'Use the system manager (default when run as root): units in /etc/systemd/system, state in /var/lib/piar'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from disable" -l user -d 'Use your user manager (default for non-root): units in ~/.config/systemd/user, state in ~/.local/state/piar'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from disable" -l json -d 'Print machine-readable JSON on stdout (errors as JSON on stderr)'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from disable" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c piar -n "__fish_piar_using_subcommand api; and __fish_seen_subcommand_from disable" -s V -l version -d 'Print version'

# Job names for the verbs that take one (added by piar, not clap_complete).
complete -c piar -n "__fish_seen_subcommand_from show edit approve reject history run logs pause resume rm" -f -a "(piar list --names 2>/dev/null)" -d job
