//! Validation of detector config values, with errors that name the detector and the field.

use crate::error::{Error, Result};

/// Checks the fields of one detector's config; every failure is an [`Error::Config`] naming the
/// detector type, its instance name and the field.
pub(crate) struct ConfigCheck {
    what: String,
}

impl ConfigCheck {
    /// Checks for the detector `name` of type `ty`.
    pub(crate) fn new(ty: &str, name: &str) -> Self {
        ConfigCheck {
            what: format!("{ty} detector `{name}`"),
        }
    }

    /// `field` is wrong unless `ok`; `why` says what it must be.
    pub(crate) fn require(&self, ok: bool, field: &str, why: &str) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(Error::config(self.what.clone(), format!("`{field}` {why}")))
        }
    }

    /// A finite number of seconds, at least 0.
    pub(crate) fn seconds(&self, field: &str, v: f64) -> Result<()> {
        self.require(
            v.is_finite() && v >= 0.0,
            field,
            "must be a finite number of seconds >= 0",
        )
    }

    /// A finite number of seconds above 0.
    pub(crate) fn positive_seconds(&self, field: &str, v: f64) -> Result<()> {
        self.require(
            v.is_finite() && v > 0.0,
            field,
            "must be a finite number of seconds > 0",
        )
    }

    /// A finite number, at least `min`.
    pub(crate) fn at_least(&self, field: &str, v: f64, min: f64) -> Result<()> {
        self.require(
            v.is_finite() && v >= min,
            field,
            &format!("must be a finite number >= {min}"),
        )
    }
}
