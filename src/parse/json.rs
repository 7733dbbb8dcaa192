//! JSON Feed 1.0/1.1, read leniently: a field of the wrong type is treated
//! as absent instead of failing the feed (feed-rs rejects those feeds, and
//! any version string it does not list). Items beyond the limit are skipped
//! while parsing, so they never take memory.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use url::Url;

use super::{dates, ParseError};
use crate::normalize::{RawFeed, RawItem, RawText, TextKind};

/// Parses a JSON Feed document.
pub(crate) fn parse(text: &str, base: &Url, max_items: usize) -> Result<RawFeed, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = DocSeed { max_items }
        .deserialize(&mut de)
        .map_err(|e| ParseError(format!("the document is not valid JSON: {e}")))?;
    let version = str_field(&doc.fields, "version").unwrap_or_default();
    if !version.contains("jsonfeed.org") && !doc.has_items {
        return Err(ParseError(
            "the JSON document is not a JSON Feed: it has neither a jsonfeed.org version nor items"
                .into(),
        ));
    }
    let items = doc
        .items
        .iter()
        .filter_map(Value::as_object)
        .map(item)
        .collect();
    Ok(RawFeed {
        title: str_field(&doc.fields, "title").map(|t| RawText {
            body: t.to_string(),
            kind: TextKind::Html,
        }),
        id: None,
        link: str_field(&doc.fields, "home_page_url").map(str::to_string),
        ttl_minutes: None,
        items,
        base: base.clone(),
    })
}

fn item(obj: &Map<String, Value>) -> RawItem {
    let guid = match obj.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let content = str_field(obj, "content_html")
        .map(|b| RawText {
            body: b.to_string(),
            kind: TextKind::Html,
        })
        .or_else(|| {
            str_field(obj, "content_text").map(|b| RawText {
                body: b.to_string(),
                kind: TextKind::Plain,
            })
        });
    let mut authors: Vec<String> = Vec::new();
    if let Some(Value::Array(list)) = obj.get("authors") {
        authors.extend(list.iter().filter_map(|a| {
            a.as_object()
                .and_then(|a| str_field(a, "name"))
                .map(str::to_string)
        }));
    }
    if let Some(Value::Object(a)) = obj.get("author") {
        authors.extend(str_field(a, "name").map(str::to_string));
    }
    let categories = match obj.get("tags") {
        Some(Value::Array(tags)) => tags
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    RawItem {
        guid,
        link: str_field(obj, "url")
            .or_else(|| str_field(obj, "external_url"))
            .map(str::to_string),
        // JSON Feed titles are plain text by the spec, but publishers put
        // entities and tags in them as they do in RSS.
        title: str_field(obj, "title").map(|t| RawText {
            body: t.to_string(),
            kind: TextKind::Html,
        }),
        summary: str_field(obj, "summary").map(|t| RawText {
            body: t.to_string(),
            kind: TextKind::Plain,
        }),
        content,
        categories,
        authors,
        published: str_field(obj, "date_published").and_then(dates::parse_timestamp),
        updated: str_field(obj, "date_modified").and_then(dates::parse_timestamp),
        base: None,
    }
}

fn str_field<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key).and_then(Value::as_str)
}

struct Doc {
    fields: Map<String, Value>,
    items: Vec<Value>,
    has_items: bool,
}

struct DocSeed {
    max_items: usize,
}

impl<'de> DeserializeSeed<'de> for DocSeed {
    type Value = Doc;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        d.deserialize_map(DocVisitor {
            max_items: self.max_items,
        })
    }
}

struct DocVisitor {
    max_items: usize,
}

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON Feed object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut doc = Doc {
            fields: Map::new(),
            items: Vec::new(),
            has_items: false,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                doc.items = map.next_value_seed(ItemsSeed {
                    max_items: self.max_items,
                })?;
                doc.has_items = true;
            } else {
                let value: Value = map.next_value()?;
                doc.fields.insert(key, value);
            }
        }
        Ok(doc)
    }
}

/// Keeps the first `max_items` elements of `items`; anything that is not
/// an array counts as no items.
struct ItemsSeed {
    max_items: usize,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Vec<Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = Vec<Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of items")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let mut items = Vec::new();
        while items.len() < self.max_items {
            match seq.next_element::<Value>()? {
                Some(v) => items.push(v),
                None => return Ok(items),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(items)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Value>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
    fn visit_str<E>(self, _: &str) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E>(self) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }
}
