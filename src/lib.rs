//! summit-bot: answers questions about the 2024 World Internet Conference Wuzhen
//! Summit by quoting the summit's news articles, with the source of every quote.
//!
//! Dependencies run one way: `bot` → `render` → `search` → `index` → `text`;
//! `corpus` feeds `index`; `search` uses `semantic` (the e5 embedder);
//! `startup` assembles an engine for `cli` and `reload`; `bot`, `ops` and
//! `reload` share the leaf `shutdown`.

pub mod batch;
pub mod bot;
pub mod check;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod eval;
pub mod feedback;
pub mod index;
pub mod index_cmd;
pub mod messages;
pub mod ops;
pub mod reload;
pub mod render;
pub mod report;
pub mod search;
pub mod semantic;
pub mod shutdown;
pub mod startup;
pub mod text;
