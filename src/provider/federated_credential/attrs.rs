//! The resource's attribute names, in one place: the schema, the model, the identity and
//! the plan's diagnostic paths all use these, and a test holds them against the schema.

pub const APPLICATION_OBJECT_ID: &str = "application_object_id";
pub const APPLICATION_CLIENT_ID: &str = "application_client_id";
pub const NAME: &str = "name";
pub const MANAGED_IDENTITY_PRINCIPAL_ID: &str = "managed_identity_principal_id";
pub const SUBJECT: &str = "subject";
pub const ISSUER: &str = "issuer";
pub const AUDIENCES: &str = "audiences";
pub const DESCRIPTION: &str = "description";
pub const CREDENTIAL_ID: &str = "credential_id";
pub const ID: &str = "id";
/// The `timeouts` block; its attributes are the operations' names.
pub const TIMEOUTS: &str = "timeouts";

/// Every top-level attribute, in schema order.
#[cfg(test)]
pub const ALL: [&str; 10] = [
    APPLICATION_OBJECT_ID,
    APPLICATION_CLIENT_ID,
    NAME,
    MANAGED_IDENTITY_PRINCIPAL_ID,
    SUBJECT,
    ISSUER,
    AUDIENCES,
    DESCRIPTION,
    CREDENTIAL_ID,
    ID,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::federated_credential::{identity_schema, schema};

    #[test]
    fn the_names_are_the_schemas() {
        let s = schema();
        let in_schema: Vec<&str> = s.block.attributes.iter().map(|a| a.name).collect();
        assert_eq!(in_schema, ALL, "attributes, in schema order");
        let blocks: Vec<&str> = s.block.blocks.iter().map(|b| b.type_name).collect();
        assert_eq!(blocks, [TIMEOUTS]);
        for a in identity_schema().attributes {
            assert!(
                ALL.contains(&a.name),
                "identity attribute {} is an attribute",
                a.name
            );
        }
    }
}
