//! Integration tests, compiled into one binary: one module per theme.

mod common;
mod refdata;
mod template;
