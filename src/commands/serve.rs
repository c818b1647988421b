//! `taizhang serve`: starts the local web console (see [`crate::serve`]) and serves until stopped.

use std::io::Write;

use crate::refdata::RefData;
use crate::serve::ServeConfig;
use crate::{Error, ExitStatus};

/// Runs the console. Returns only when it could not start or stopped on an error.
///
/// # Errors
/// [`Error::Serve`] with why it could not start: a workspace that cannot be created, an address in use,
/// a non-loopback address without a password.
pub fn run(refdata: &RefData, cfg: &ServeConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    crate::serve::run(refdata, cfg, out)?;
    Ok(ExitStatus::Clean)
}
