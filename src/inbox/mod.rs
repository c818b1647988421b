//! What arrives: the stage between the office's mailbox, its upload links and its folders, and the
//! importer. [`discover`] finds the returns under a path, taking them out of the archives ([`archive`]) and
//! saved emails ([`mime`]) they came in; [`record`] keeps, beside the returns, where each came from;
//! [`names`] decides what a sender's file name may become on disk; [`imap`] collects the office mailbox;
//! [`workspace`] is the console's folder of periods with its receipts database.
//!
//! Everything here treats its input as hostile: names are sanitised before they touch the disk, archives
//! and messages are opened within the reader's limits, and a file's origin is recorded by taizhang, never
//! taken from what the file says.

pub mod archive;
mod discover;
#[cfg(feature = "mail")]
pub mod imap;
pub mod mime;
pub mod names;
pub mod origin;
pub mod record;
#[cfg(feature = "serve")]
pub mod workspace;

pub use discover::{Input, discover};
pub use origin::Origin;
pub(crate) use discover::skip_reason;
