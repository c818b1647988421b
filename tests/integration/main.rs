//! Integration tests, compiled into one binary: one module per theme.

mod common;
mod refdata;
mod roundtrip;
mod samples;
mod template;
