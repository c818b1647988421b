//! The `taizhang` binary: parses arguments, runs one command, maps the outcome to an exit code
//! (0 clean, 1 written with error findings, 2 could not run).

mod cli;

use std::io::Write;
use std::process::ExitCode;

use cli::{Cli, Command};
use taizhang::{ExitStatus, RefData, commands};

/// mimalloc instead of the system allocator: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    taizhang::commands::memory::limit_arenas();
    let cli = match cli::parse() {
        Ok(c) => c,
        Err(mut stop) => {
            if !stop.text.ends_with('\n') {
                stop.text.push('\n');
            }
            // Help and version go to stdout (exit 0), usage errors to stderr (exit 2).
            let _ = if stop.to_stderr { write!(std::io::stderr(), "{}", stop.text) } else { write!(std::io::stdout(), "{}", stop.text) };
            return ExitCode::from(stop.code);
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
        Command::Collect(a) => commands::collect::run(&refdata, &a.config()?, &mut out)?,
        Command::Diff(a) => commands::diff::run(&refdata, &a.config(), &mut out)?,
        Command::Serve(a) => commands::serve::run(&refdata, &a.config(), &mut out)?,
        Command::Briefing(a) => commands::briefing::run(&refdata, &a.config(cli.refdata.as_deref()), &mut out)?,
        Command::History(a) => commands::history::run(&refdata, &a.config(), &mut out)?,
    };
    out.flush()?;
    Ok(status)
}
