//! The provincial rollup, from the submissions of a period to the workbook the office hands up, and back:
//! [`merge`] stacks the returns with polars (the frames of each return are built in [`frames`]),
//! [`workbook`] writes the rollup laid out like the plan's 附件1 and 附件2, [`readback`] reads an earlier
//! rollup back (to prefill next quarter's templates and to compare), and [`diff`] compares two quarters.
//! Every sheet and column name they share is spelled once, in [`layout`].

pub mod consolidate;
pub mod diff;
pub mod export;
pub mod frames;
pub mod readback;
pub mod layout;
pub mod ledger;
pub mod merge;
pub mod period;
pub mod status;
pub mod workbook;

pub use layout::{NOT_REPORTED, NOT_REPORTED_LINE, sheets};
pub use workbook::{RollupError, build, write_to};
