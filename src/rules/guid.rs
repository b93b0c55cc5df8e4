//! GUIDs as Entra writes them: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits.

use super::{quote, Finding};

/// Whether `s` is a GUID in the hyphenated 8-4-4-4-12 form (either case).
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `attribute`'s value must be a GUID; `what` says whose id it is.
pub fn check(attribute: &'static str, value: &str, what: &str) -> Option<Finding> {
    (!is_guid(value)).then(|| {
        Finding::error(
            attribute,
            "guid",
            format!("{attribute} must be a GUID"),
            format!(
                "Expected {what} in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; got {}.",
                quote(value)
            ),
        )
    })
}

/// Whether the GUID has capital letters: Entra returns object ids in lower case and
/// federated credential matching is case-sensitive.
pub fn has_uppercase(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1", true),
            ("B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1", true),
            ("b00000012b3c4d5e8f90a1b2c3d4e5f1", false),
            ("{b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1}", false),
            ("b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f", false),
            ("g0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1", false),
            ("", false),
            ("----", false),
        ];
        for (s, want) in cases {
            assert_eq!(is_guid(s), want, "{s}");
        }
    }
}
