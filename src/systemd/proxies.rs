//! Hand-written D-Bus proxies for the parts of org.freedesktop.systemd1(5)
//! piar uses. Only methods present in systemd 252 (Debian 12) are declared.
// zbus's #[proxy] generates signal structs and accessors without docs; the
// hand-written items here are documented all the same.
#![allow(missing_docs)]

use zbus::proxy;
use zbus::zvariant::{OwnedObjectPath, Value};

/// One entry of `ListUnitsByPatterns`: (name, description, load state, active
/// state, sub state, following, unit path, job id, job type, job path).
pub type UnitListEntry = (
    String,
    String,
    String,
    String,
    String,
    String,
    OwnedObjectPath,
    u32,
    String,
    OwnedObjectPath,
);

/// Changes reported by `EnableUnitFiles`/`DisableUnitFiles`: (type, file, destination).
pub type UnitFileChanges = Vec<(String, String, String)>;

/// `org.freedesktop.systemd1.Manager` on `/org/freedesktop/systemd1`.
#[proxy(
    interface = "org.freedesktop.systemd1.Manager",
    default_service = "org.freedesktop.systemd1",
    default_path = "/org/freedesktop/systemd1",
    gen_async = false
)]
pub trait Manager {
    /// Ask the manager to emit `JobRemoved` and friends to this client.
    fn subscribe(&self) -> zbus::Result<()>;

    /// Object path of a loaded unit; `NoSuchUnit` if it is not loaded.
    fn get_unit(&self, name: &str) -> zbus::Result<OwnedObjectPath>;

    /// Object path of a unit, loading it from disk if needed.
    fn load_unit(&self, name: &str) -> zbus::Result<OwnedObjectPath>;

    /// Start a unit; returns the job's object path.
    fn start_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;

    /// Stop a unit; returns the job's object path.
    fn stop_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;

    /// Restart a unit (start it if inactive).
    fn restart_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;

    /// Add a reference from this client to a loaded unit, so it is not
    /// garbage-collected while this client lives.
    fn ref_unit(&self, name: &str) -> zbus::Result<()>;

    /// Forget a unit's failed state.
    fn reset_failed_unit(&self, name: &str) -> zbus::Result<()>;

    /// Remove a unit's resources; piar uses mask `["state"]` for a timer's
    /// Persistent= stamp.
    fn clean_unit(&self, name: &str, mask: &[&str]) -> zbus::Result<()>;

    /// `daemon-reload`.
    fn reload(&self) -> zbus::Result<()>;

    /// Enable unit files: (carries install info, changes (type, file, dest)).
    fn enable_unit_files(
        &self,
        files: &[&str],
        runtime: bool,
        force: bool,
    ) -> zbus::Result<(bool, UnitFileChanges)>;

    /// Disable unit files: changes (type, file, dest).
    fn disable_unit_files(&self, files: &[&str], runtime: bool) -> zbus::Result<UnitFileChanges>;

    /// Units whose active state is in `states` (empty: any) and name matches one of `patterns`.
    fn list_units_by_patterns(
        &self,
        states: &[&str],
        patterns: &[&str],
    ) -> zbus::Result<Vec<UnitListEntry>>;

    /// The units named, LOADING each from disk first if it is not loaded
    /// (systemd's `method_list_units_by_names` calls `manager_load_unit`), as
    /// `ListUnits` entries: one round trip for any number of units. Since systemd 227.
    fn list_units_by_names(&self, names: &[&str]) -> zbus::Result<Vec<UnitListEntry>>;

    /// Create and start a transient unit (properties and aux units as in
    /// systemd-run); returns the job's object path.
    fn start_transient_unit(
        &self,
        name: &str,
        mode: &str,
        properties: &[(&str, Value<'_>)],
        aux: &[(&str, &[(&str, Value<'_>)])],
    ) -> zbus::Result<OwnedObjectPath>;

    /// Emitted when a job finished: id, job path, unit name, result
    /// (`done`, `canceled`, `timeout`, `failed`, `dependency`, `skipped`).
    #[zbus(signal)]
    fn job_removed(
        &self,
        id: u32,
        job: OwnedObjectPath,
        unit: String,
        result: String,
    ) -> zbus::Result<()>;

    /// The manager's environment block (`systemctl show-environment`), `K=V` each.
    #[zbus(property)]
    fn environment(&self) -> zbus::Result<Vec<String>>;

    /// The manager's version string, e.g. `252.38-1~deb12u1`.
    #[zbus(property)]
    fn version(&self) -> zbus::Result<String>;
}

/// `org.freedesktop.systemd1.Unit`.
#[proxy(
    interface = "org.freedesktop.systemd1.Unit",
    default_service = "org.freedesktop.systemd1",
    gen_async = false
)]
pub trait Unit {
    /// `loaded`, `not-found`, `bad-setting`, `error`, `masked`.
    #[zbus(property)]
    fn load_state(&self) -> zbus::Result<String>;
    /// `active`, `inactive`, `failed`, `activating`, `deactivating`.
    #[zbus(property)]
    fn active_state(&self) -> zbus::Result<String>;
    /// The unit type's own sub state (`waiting`, `elapsed`, `running`, ...).
    #[zbus(property)]
    fn sub_state(&self) -> zbus::Result<String>;
    /// Whether the unit file changed on disk since it was loaded.
    #[zbus(property)]
    fn need_daemon_reload(&self) -> zbus::Result<bool>;
    /// The 128-bit invocation ID of the current/last activation.
    #[zbus(property, name = "InvocationID")]
    fn invocation_id(&self) -> zbus::Result<Vec<u8>>;
    /// When the unit last left the inactive state (µs since the epoch; 0 = never).
    #[zbus(property, name = "InactiveExitTimestamp")]
    fn inactive_exit_timestamp(&self) -> zbus::Result<u64>;
}

/// `org.freedesktop.systemd1.Service`.
#[proxy(
    interface = "org.freedesktop.systemd1.Service",
    default_service = "org.freedesktop.systemd1",
    gen_async = false
)]
pub trait Service {
    /// `success`, `exit-code`, `signal`, `core-dump`, `timeout`, `resources`, ...
    #[zbus(property)]
    fn result(&self) -> zbus::Result<String>;
    /// siginfo code of the main process: 1 CLD_EXITED, 2 CLD_KILLED, 3 CLD_DUMPED.
    #[zbus(property)]
    fn exec_main_code(&self) -> zbus::Result<i32>;
    /// Exit status, or signal number when killed.
    #[zbus(property)]
    fn exec_main_status(&self) -> zbus::Result<i32>;
    /// CLOCK_REALTIME µs when the main process started (0 = never).
    #[zbus(property)]
    fn exec_main_start_timestamp(&self) -> zbus::Result<u64>;
    /// CLOCK_REALTIME µs when the main process exited (0 = not yet).
    #[zbus(property)]
    fn exec_main_exit_timestamp(&self) -> zbus::Result<u64>;
}

/// `org.freedesktop.systemd1.Timer`.
#[proxy(
    interface = "org.freedesktop.systemd1.Timer",
    default_service = "org.freedesktop.systemd1",
    gen_async = false
)]
pub trait Timer {
    /// Next elapse of the calendar triggers, CLOCK_REALTIME µs (0 = none).
    #[zbus(property, name = "NextElapseUSecRealtime")]
    fn next_elapse_usec_realtime(&self) -> zbus::Result<u64>;
    /// Next elapse of the monotonic triggers, CLOCK_MONOTONIC µs (0 = none).
    #[zbus(property, name = "NextElapseUSecMonotonic")]
    fn next_elapse_usec_monotonic(&self) -> zbus::Result<u64>;
    /// When the timer last fired, CLOCK_REALTIME µs (0 = never).
    #[zbus(property, name = "LastTriggerUSec")]
    fn last_trigger_usec(&self) -> zbus::Result<u64>;
    /// The calendar triggers systemd accepted: (base, spec, next elapse µs).
    #[zbus(property)]
    fn timers_calendar(&self) -> zbus::Result<Vec<(String, String, u64)>>;
}
