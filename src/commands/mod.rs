//! One module per subcommand: a plain configuration struct (built by the binary from its arguments) and a
//! `run` function that does the work and says how it ended.

#[cfg(feature = "rollup")]
pub mod briefing;
pub mod check;
#[cfg(feature = "mail")]
pub mod collect;
#[cfg(feature = "rollup")]
pub mod consolidate;
pub mod feedback;
#[cfg(feature = "rollup")]
pub mod diff;
#[cfg(feature = "rollup")]
pub mod history;
#[cfg(feature = "mail")]
pub mod mail;
/// The process's allocator settings, which the binary makes before anything else.
pub mod memory;
#[cfg(feature = "serve")]
pub mod serve;
pub mod template;
