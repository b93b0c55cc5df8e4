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

/// The questions a user asks first, and where the docs answer them: (page, section
/// heading, what the section must say).
const ANSWERS: &[(&str, &str, &[&str])] = &[
    (
        "docs/index.md",
        "### Sign-in order",
        &[
            "access token",
            "client secret",
            "client certificate",
            "AKS workload identity",
            "OIDC",
            "managed identity as federated credential",
            "managed identity",
            "Azure CLI",
            // use_msi's ids: which one wins.
            "`msi_client_id` wins over `client_id`",
            "ARM_CLIENT_SECRET",
        ],
    ),
    (
        "docs/index.md",
        "## Permissions",
        &[
            "Application.ReadWrite.OwnedBy",
            "Application.ReadWrite.All",
            "Application.Read.All",
            "Directory.Read.All",
            "Application Developer",
            "for applications the principal owns",
            "az ad app owner add",
            "appRoleAssignments",
            "azuread_app_role_assignment",
        ],
    ),
    (
        "docs/index.md",
        "## Finding the principal id",
        &[
            "az identity show",
            "--query principalId",
            "Overview",
            "azurerm_user_assigned_identity.deploy.principal_id",
        ],
    ),
    (
        "docs/guides/pipelines.md",
        "## What the provider reads",
        &[
            "ARM_TENANT_ID",
            "ARM_CLIENT_ID",
            "ARM_USE_OIDC",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "permissions: id-token: write",
            "ARM_OIDC_REQUEST_URL",
            "serviceConnectionId",
            "SYSTEM_ACCESSTOKEN",
            "$(System.AccessToken)",
        ],
    ),
];

/// The text of `page` under `heading`, up to the next heading of the same or a higher level.
fn section(page: &str, heading: &str) -> String {
    let text = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{page}: {e}"));
    let level = heading.split(' ').next().unwrap_or("#").len();
    let mut lines = text.lines().skip_while(|l| *l != heading);
    assert!(lines.next().is_some(), "{page} has no {heading:?}");
    let mut in_code = false;
    lines
        .take_while(|l| {
            if l.starts_with("```") {
                in_code = !in_code;
            }
            let hashes = l.chars().take_while(|c| *c == '#').count();
            in_code || hashes == 0 || hashes > level || !l[hashes..].starts_with(' ')
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_first_questions_are_answered() {
    for (page, heading, phrases) in ANSWERS {
        let text = section(page, heading);
        for p in *phrases {
            assert!(text.contains(p), "{page} {heading}: {p:?} missing");
        }
    }
    // Every sign-in method the provider knows has its row.
    let order = section("docs/index.md", "### Sign-in order");
    for m in terraform_provider_entra::entra::signin::METHODS_IN_ORDER {
        assert!(order.contains(&format!(" {m} |")), "no row for {m}");
    }
}

/// Guides carry the registry's front matter.
#[test]
fn guides_have_front_matter() {
    for entry in std::fs::read_dir("docs/guides").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let front = text
            .strip_prefix("---\n")
            .and_then(|t| t.split_once("\n---\n"))
            .map(|(f, _)| f)
            .unwrap_or_else(|| panic!("{}: no front matter", path.display()));
        for key in ["page_title:", "subcategory:", "description:"] {
            assert!(front.contains(key), "{}: {key}", path.display());
        }
    }
}

/// The pipelines guide shows the example files exactly as they are in examples/pipelines/.
#[test]
fn the_pipelines_guide_shows_the_example_files() {
    let guide = std::fs::read_to_string("docs/guides/pipelines.md").unwrap();
    for file in ["github-actions.yml", "azure-pipelines.yml"] {
        let yaml = std::fs::read_to_string(format!("examples/pipelines/{file}")).unwrap();
        assert!(
            guide.contains(&format!("```yaml\n{yaml}```")),
            "docs/guides/pipelines.md does not show examples/pipelines/{file} as it is"
        );
    }
}

/// Relative links between pages point at pages that exist.
#[test]
fn relative_links_resolve() {
    let mut pages = vec![std::path::PathBuf::from("docs/index.md")];
    for dir in ["guides", "resources", "data-sources", "ephemeral-resources"] {
        for entry in std::fs::read_dir(format!("docs/{dir}")).unwrap() {
            pages.push(entry.unwrap().path());
        }
    }
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for target in text.split("](").skip(1).filter_map(|t| t.split(')').next()) {
            let file = target.split('#').next().unwrap_or("");
            if file.is_empty() || file.contains("://") {
                continue;
            }
            let resolved = page.parent().unwrap().join(file);
            assert!(
                resolved.is_file(),
                "{}: link to {target} does not resolve",
                page.display()
            );
        }
    }
}
