//! Shared strings for keys and short values.
//!
//! A cluster's objects repeat the same few hundred keys (`metadata`, `name`,
//! `containers` ...) and many short values (`v1`, `TCP`, `IfNotPresent`, namespace
//! names) hundreds of thousands of times. Each [`Text`] is a reference-counted string,
//! and [`intern`] hands out the same allocation for equal short strings, so a key costs
//! a pointer instead of its own allocation. The pool is per thread (loaders run in
//! parallel without a lock) and bounded in both string length and count, so hostile
//! input cannot grow it without limit: past the bound, strings are simply not shared.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

/// A string in a [`crate::Node`]: a key or a string value.
pub type Text = Arc<str>;

/// Strings longer than this are never shared (names with hashes, certificates ...).
pub const MAX_SHARED_LEN: usize = 40;

/// At most this many distinct strings are pooled per thread.
const MAX_POOLED: usize = 1 << 15;

thread_local! {
    static POOL: RefCell<HashSet<Text>> = RefCell::new(HashSet::new());
}

/// The shared copy of `text` when it is short, else a copy of its own.
pub fn intern(text: &str) -> Text {
    if text.len() > MAX_SHARED_LEN {
        return Arc::from(text);
    }
    POOL.with(|pool| {
        let Ok(mut pool) = pool.try_borrow_mut() else {
            return Arc::from(text);
        };
        if let Some(shared) = pool.get(text) {
            return Arc::clone(shared);
        }
        let shared: Text = Arc::from(text);
        if pool.len() < MAX_POOLED {
            pool.insert(Arc::clone(&shared));
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
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "containers");
        let long = "x".repeat(MAX_SHARED_LEN + 1);
        assert!(!Arc::ptr_eq(&intern(&long), &intern(&long)));
    }
}
