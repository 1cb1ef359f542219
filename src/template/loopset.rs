//! Jinja2 2.7 scoping of `{% set %}` inside `{% for %}` on top of minijinja (placeholder).

use std::borrow::Cow;

/// Rewrite assignments inside loop bodies so they persist across iterations (Jinja2 2.7).
pub(crate) fn rewrite_loop_sets(src: &str) -> Cow<'_, str> {
    Cow::Borrowed(src)
}
