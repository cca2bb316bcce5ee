//! 5-field cron (crontab(5), Vixie/cronie semantics) -> `OnCalendar=` lines.

use crate::error::Result;

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {}

impl CronExpr {
    /// Parse 5 fields or an alias. Errors name the field (`minute`, `hour`,
    /// `day-of-month`, `month`, `day-of-week`), its column and allowed range.
    pub fn parse(text: &str) -> Result<CronExpr> {
        todo!("{text}")
    }

    /// `@reboot`.
    pub fn reboot(&self) -> bool {
        todo!()
    }

    /// The `OnCalendar=` lines in zone `tz`; more than one when both day fields are
    /// restricted (cron fires when either matches).
    pub fn on_calendar(&self, tz: &str) -> Vec<String> {
        todo!("{tz}")
    }
}
