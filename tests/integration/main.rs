//! Integration tests, compiled into one binary: one module per theme.

mod common;
mod conservation;
mod corpus;
mod feedback;
mod import;
mod quarterly;
mod isolation;
mod one_count;
mod refdata;
mod rollup;
mod roundtrip;
mod samples;
mod template;
