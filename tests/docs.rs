//! docs/ and the schemas cannot drift: every schema attribute is documented in its page's
//! reference sections with the right markers, and every documented attribute exists.

use std::collections::BTreeSet;

use terraform_provider_entra::framework::{ListResource, Schema};
use terraform_provider_entra::provider::{
    access_token, config, credentials_audit, federated_credential,
};

/// `name -> line` for list items `- \`name\` (...)` under the given `## ` sections.
fn documented(path: &str, sections: &[&str]) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut current = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            current = h.trim().to_string();
            continue;
        }
        if !sections.contains(&current.as_str()) {
            continue;
        }
        if let Some(rest) = line.strip_prefix("- `") {
            if let Some((name, tail)) = rest.split_once('`') {
                out.push((name.to_string(), tail.to_string()));
            }
        }
    }
    out
}

fn check(path: &str, schema: &Schema) {
    let docs = documented(path, &["Argument Reference", "Attribute Reference"]);
    let doc_names: BTreeSet<&str> = docs.iter().map(|(n, _)| n.as_str()).collect();
    let mut schema_names: BTreeSet<&str> = schema.block.attributes.iter().map(|a| a.name).collect();
    schema_names.extend(schema.block.blocks.iter().map(|b| b.type_name));
    let undocumented: Vec<_> = schema_names.difference(&doc_names).collect();
    let unknown: Vec<_> = doc_names.difference(&schema_names).collect();
    assert!(
        undocumented.is_empty(),
        "{path}: attributes missing from the docs: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "{path}: documented attributes not in the schema: {unknown:?}"
    );
    for a in &schema.block.attributes {
        let (_, tail) = docs.iter().find(|(n, _)| n == a.name).unwrap();
        assert_eq!(
            tail.contains("Required"),
            a.required,
            "{path}: `{}` Required marker",
            a.name
        );
        assert_eq!(
            tail.contains("Sensitive"),
            a.sensitive,
            "{path}: `{}` Sensitive marker",
            a.name
        );
    }
    for b in &schema.block.blocks {
        let nested = documented(path, &["Timeouts"]);
        let names: BTreeSet<&str> = nested.iter().map(|(n, _)| n.as_str()).collect();
        let wanted: BTreeSet<&str> = b.block.attributes.iter().map(|a| a.name).collect();
        assert_eq!(
            names, wanted,
            "{path}: the {} block's documentation",
            b.type_name
        );
    }
}

/// Every registry page lists exactly its schema's attributes and blocks.
#[test]
fn every_page_matches_its_schema() {
    let pages = [
        ("docs/index.md", config::schema()),
        (
            "docs/resources/mi_federated_credential.md",
            federated_credential::schema(),
        ),
        (
            "docs/data-sources/mi_access_token.md",
            access_token::schema(false),
        ),
        (
            "docs/data-sources/mi_federated_credentials.md",
            credentials_audit::schema(),
        ),
        (
            "docs/ephemeral-resources/mi_access_token.md",
            access_token::schema(true),
        ),
        (
            "docs/list-resources/mi_federated_credential.md",
            federated_credential::CredentialsList.declaration().schema,
        ),
    ];
    for (page, schema) in pages {
        check(page, &schema);
    }
}

#[test]
fn every_environment_variable_is_documented() {
    let text = std::fs::read_to_string("docs/index.md").unwrap();
    for (attr, vars) in config::ENV_FALLBACKS {
        for v in *vars {
            assert!(
                text.contains(v),
                "docs/index.md does not mention {v} (for {attr})"
            );
        }
    }
}
