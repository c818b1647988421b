//! Integration tests, compiled into one binary: one module per theme.

mod common;
mod import;
mod refdata;
mod rollup;
mod roundtrip;
mod samples;
mod template;
