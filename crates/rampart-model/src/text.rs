//! Shared strings for keys and short values.
//!
//! A cluster's objects repeat the same few hundred keys (`metadata`, `name`,
//! `containers` ...) and many short values (`v1`, `TCP`, `IfNotPresent`, namespace
//! names) hundreds of thousands of times. Each [`Text`] is a reference-counted string
//! one pointer wide, and [`intern`] hands out the same allocation for equal short
//! strings, so a key costs a pointer instead of its own allocation. The pool is per thread (loaders run in
//! parallel without a lock) and bounded in both string length and count, so hostile
//! input cannot grow it without limit: past the bound, strings are simply not shared.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A string in a [`crate::Node`]: a key or a string value.
///
/// One pointer wide (an `Arc<str>` is two): there are a million of them in a
/// 20,000-object cluster, in every map entry, and the strings behind them are mostly
/// shared ([`intern`]), so the second indirection costs one small allocation per
/// distinct string and saves eight bytes per use.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<Box<str>>);

impl Text {
    /// The string.
    pub fn as_str(&self) -> &str {
        self
    }

    /// Whether both are the same allocation (not merely equal).
    pub fn ptr_eq(a: &Text, b: &Text) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(Arc::new(Box::from(text)))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text(Arc::new(text.into_boxed_str()))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        **self == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        **self == **other
    }
}

impl Default for Text {
    fn default() -> Self {
        intern("")
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Strings longer than this are never shared (names with hashes, certificates ...).
pub const MAX_SHARED_LEN: usize = 40;

/// At most this many distinct strings are pooled per thread.
const MAX_POOLED: usize = 1 << 15;

thread_local! {
    static POOL: RefCell<HashSet<Text>> = RefCell::new(HashSet::new());
}

/// The shared copy of `text` when it is short, else a copy of its own.
pub fn intern(text: &str) -> Text {
    pooled(text, MAX_SHARED_LEN)
}

/// Field paths longer than this are never shared.
pub const MAX_SHARED_PATH_LEN: usize = 200;

/// [`intern`] for field paths, which are longer than keys but repeat as often
/// (`spec.template.spec.containers[0].securityContext.privileged` on every finding of
/// one rule about one kind).
pub fn intern_path(text: &str) -> Text {
    pooled(text, MAX_SHARED_PATH_LEN)
}

fn pooled(text: &str, max_len: usize) -> Text {
    if text.len() > max_len {
        return Text::from(text);
    }
    POOL.with(|pool| {
        let Ok(mut pool) = pool.try_borrow_mut() else {
            return Text::from(text);
        };
        if let Some(shared) = pool.get(text) {
            return shared.clone();
        }
        let shared = Text::from(text);
        if pool.len() < MAX_POOLED {
            pool.insert(shared.clone());
        }
        shared
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_short_strings_share_one_allocation() {
        let a = intern("containers");
        let b = intern(&String::from("containers"));
        assert!(Text::ptr_eq(&a, &b));
        assert_eq!(&*a, "containers");
        let long = "x".repeat(MAX_SHARED_LEN + 1);
        assert!(!Text::ptr_eq(&intern(&long), &intern(&long)));
        assert_eq!(std::mem::size_of::<Text>(), 8);
    }
}
