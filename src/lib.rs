//! feedmill: polls regional news feeds, deduplicates their stories into
//! SQLite, tags them by topic and writes aggregated Atom feeds.
//!
//! See ARCHITECTURE.md for the map of modules and the data flow.

pub mod config;
pub mod daemon;
pub mod fetch;
pub mod logging;
pub mod model;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod pipeline;
pub mod progress;
pub mod render;
pub mod schedule;
pub mod serve;
pub mod status;
pub mod store;
pub mod topics;
