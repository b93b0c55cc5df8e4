//! The credential name: what Graph accepts and what the documentation promises.

use super::{NAME_MAX, NAME_MIN};
use crate::rules::{quote, Finding};

/// Name: 3-120 characters of `[A-Za-z0-9_-]`, first alphanumeric. Graph itself accepts
/// dots (azuread's tests create such names), so a dot is a warning.
pub fn check_name(name: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let len = name.chars().count();
    if !(NAME_MIN..=NAME_MAX).contains(&len) {
        out.push(
            Finding::error(
                "name",
                "name.length",
                format!("name must be {NAME_MIN}-{NAME_MAX} characters"),
                format!("Got {len} characters: {}.", quote(name)),
            )
            .by_graph(),
        );
    }
    let breaks_url: Vec<char> = name
        .chars()
        .filter(|c| {
            matches!(c, '/' | '\\' | '?' | '#' | '%' | '\'' | '*')
                || c.is_whitespace()
                || c.is_control()
        })
        .collect();
    if !breaks_url.is_empty() {
        out.push(
            Finding::error(
                "name",
                "name.characters",
                "name may contain only letters, digits, '-' and '_'",
                format!(
                    "Got {} with {:?}, which cannot appear in the credential's URL.",
                    quote(name),
                    dedup(&breaks_url)
                ),
            )
            .by_graph(),
        );
    } else {
        let other: Vec<char> = name
            .chars()
            .filter(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .collect();
        if !other.is_empty() {
            out.push(Finding::error(
                "name",
                "name.characters",
                "name may contain only letters, digits, '-' and '_'",
                format!("Got {} with {:?}.", quote(name), dedup(&other)),
            ));
        } else if name.contains('.') {
            out.push(
                Finding::error(
                    "name",
                    "name.dot",
                    "a '.' in a name is accepted by Graph today but not documented",
                    format!(
                    "Got {}. The documented rule is [A-Za-z0-9_-]; consider '-' instead of '.'.",
                    quote(name)
                ),
                )
                .warning_only(),
            );
        }
    }
    if let Some(first) = name.chars().next() {
        if !first.is_ascii_alphanumeric() {
            out.push(Finding::error(
                "name",
                "name.first_character",
                "name must start with a letter or a digit",
                format!("Got {} starting with {first:?}.", quote(name)),
            ));
        }
    }
    out
}

fn dedup(chars: &[char]) -> String {
    let mut seen = String::new();
    for c in chars {
        if !seen.contains(*c) {
            seen.push(*c);
        }
    }
    seen
}
