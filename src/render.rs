//! Renderer: stored entries → Atom 1.0 files, replaced atomically and only
//! when their content changed.

use crate::config::Config;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderReport {
    pub written: usize,
    pub unchanged: usize,
}

/// Writes the main feed and, as configured, every topic and region feed.
pub fn render_all(config: &Config, store: &Store) -> Result<RenderReport, RenderError> {
    let _ = (config, store);
    todo!("render")
}
