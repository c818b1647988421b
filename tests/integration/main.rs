//! Integration tests, compiled into one binary: one module per theme.

mod archives;
mod careless;
mod common;
mod conservation;
mod cli;
mod collect;
mod corpus;
mod feedback;
mod formats;
mod golden;
mod history;
mod import;
mod indicators;
mod quarterly;
mod readme;
mod real_returns;
mod isolation;
mod one_count;
mod refdata;
mod rollup;
mod roundtrip;
mod samples;
mod serve;
mod links;
mod shapes;
mod template;
