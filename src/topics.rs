//! Topic tagging: keywords matched as whole words over folded text.

use crate::config::TopicConfig;

/// Built once per config; matches every topic's keywords in one pass.
#[derive(Debug, Clone)]
pub struct Matcher {}

impl Matcher {
    pub fn new(topics: &[TopicConfig]) -> Matcher {
        let _ = topics;
        todo!("matcher")
    }

    /// Names of the topics whose keywords match `text` and whose excludes do
    /// not, in config order.
    pub fn fingerprint(&self) -> String {
        todo!()
    }

    pub fn topics(&self, text: &str) -> Vec<String> {
        let _ = text;
        todo!("topics")
    }
}
