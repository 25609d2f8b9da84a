//! Support code shared by integration tests (`mod support;`).
//!
//! Each test binary uses a different subset of these helpers, so unused items are expected.
#![allow(dead_code)]

pub mod bot_process;
pub mod fake_telegram;
