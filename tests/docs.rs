//! docs/ and the schemas cannot drift: every schema attribute is documented in its page's
//! reference sections with the right markers, and every documented attribute exists.

use std::collections::BTreeSet;

use terraform_provider_entra::framework::Schema;
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

#[test]
fn provider_page() {
    check("docs/index.md", &config::schema());
}

#[test]
fn resource_page() {
    check(
        "docs/resources/mi_federated_credential.md",
        &federated_credential::schema(),
    );
}

#[test]
fn data_source_page() {
    check(
        "docs/data-sources/mi_access_token.md",
        &access_token::schema(false),
    );
}

#[test]
fn audit_data_source_page() {
    check(
        "docs/data-sources/mi_federated_credentials.md",
        &credentials_audit::schema(),
    );
}

#[test]
fn ephemeral_resource_page() {
    check(
        "docs/ephemeral-resources/mi_access_token.md",
        &access_token::schema(true),
    );
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
