//! The `taizhang` binary: parses arguments, runs one command, maps the outcome to an exit code
//! (0 clean, 1 written with error findings, 2 could not run).

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use taizhang::{ExitStatus, RefData, commands};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let status = match run(cli) {
        Ok(s) => s,
        Err(taizhang::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Clean,
        Err(e) => {
            eprintln!("taizhang: {e}");
            ExitStatus::Failure
        }
    };
    ExitCode::from(status.code())
}

fn run(cli: Cli) -> Result<ExitStatus, taizhang::Error> {
    let refdata = RefData::load(cli.refdata.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let status = match cli.command {
        Command::Template(a) => commands::template::run(&refdata, &a.config(), &mut out)?,
        Command::Check(a) => commands::check::run(&refdata, &a.config(), &mut out)?,
        Command::Consolidate(a) => commands::consolidate::run(&refdata, &a.config(), &mut out)?,
        Command::Mail(a) => commands::mail::run(&refdata, &a.config(&refdata)?, &mut out)?,
        Command::Feedback(a) => commands::feedback::run(&refdata, &a.config(), &mut out)?,
        Command::Diff(a) => commands::diff::run(&refdata, &a.config(), &mut out)?,
    };
    out.flush()?;
    Ok(status)
}
