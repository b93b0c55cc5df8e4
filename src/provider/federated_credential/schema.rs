//! Schema of `entra_mi_federated_credential`: attributes, their rules in words, and the timeouts block.

use super::attrs::*;
use crate::codec::Type;
use crate::framework::{Attribute, Block, IdentityAttribute, IdentitySchema, Schema};

pub const TYPE_NAME: &str = "entra_mi_federated_credential";

pub fn schema() -> Schema {
    let timeouts = Block::new("Operation timeouts, as durations like `5m` or `1h30m`.")
        .attribute(Attribute::string("create").optional().describe("Default `15m`. Includes waiting until the new credential is readable (Entra replication)."))
        .attribute(Attribute::string("read").optional().describe("Default `5m`."))
        .attribute(Attribute::string("update").optional().describe("Default `5m`."))
        .attribute(Attribute::string("delete").optional().describe("Default `5m`."));
    Schema::new(
        0,
        Block::new("A federated identity credential on an Entra ID application registration: the application trusts tokens with this issuer, subject and audience — typically a user-assigned managed identity's tokens.")
            .attribute(
                Attribute::string(APPLICATION_OBJECT_ID)
                    .optional()
                    .computed()
                    .requires_replace()
                    .describe("The application's object id (GUID). Exactly one of this and `application_client_id` must be set; the other is computed. Changing it replaces the credential."),
            )
            .attribute(
                Attribute::string(APPLICATION_CLIENT_ID)
                    .optional()
                    .computed()
                    .requires_replace()
                    .describe("The application's client id (`appId`, GUID), resolved to its object id. Changing it replaces the credential."),
            )
            .attribute(
                Attribute::string(NAME)
                    .required()
                    .requires_replace()
                    .describe("3-120 characters of letters, digits, `-` and `_`, starting with a letter or digit; unique per application and immutable (a change replaces the credential). A `.` is accepted with a warning."),
            )
            .attribute(
                Attribute::string(MANAGED_IDENTITY_PRINCIPAL_ID)
                    .optional()
                    .describe("The user-assigned managed identity's principal (object) id — not its client id. Sets `subject`; conflicts with `subject`. Matching is case-sensitive: use lower case."),
            )
            .attribute(
                Attribute::string(SUBJECT)
                    .optional()
                    .computed()
                    .describe("The `sub` claim incoming tokens must carry, 1-600 characters, no `*`. One of this and `managed_identity_principal_id` is required; computed from the latter."),
            )
            .attribute(
                Attribute::string(ISSUER)
                    .optional()
                    .computed()
                    .describe("The token issuer: an `https` URL of at most 600 characters without surrounding whitespace or `*`. Defaults to `https://{sign-in host}/{tenant_id}/v2.0` of the provider's environment. With a managed identity it must be that Entra v2 issuer, without trailing slash."),
            )
            .attribute(
                Attribute::new(AUDIENCES, Type::list(Type::String))
                    .optional()
                    .computed()
                    .describe("Exactly one audience of 1-600 characters, no `*`. Defaults to the cloud's token exchange audience (`api://AzureADTokenExchange` in the public cloud)."),
            )
            .attribute(Attribute::string(DESCRIPTION).optional().describe("At most 600 characters."))
            .attribute(Attribute::string(CREDENTIAL_ID).computed().describe("Microsoft Graph's id of the credential."))
            .attribute(Attribute::string(ID).computed().describe("`{application_object_id}/federatedIdentityCredentials/{credential_id}`."))
            .block(TIMEOUTS, timeouts),
    )
}

/// The resource identity (Terraform >= 1.12): the application and the credential's name,
/// which Graph keeps unique per application and which never change for a credential (a
/// change of either replaces it).
pub fn identity_schema() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute::required_string(
                APPLICATION_OBJECT_ID,
                "The application's object id (GUID).",
            ),
            IdentityAttribute::required_string(
                NAME,
                "The credential's name, unique per application.",
            ),
        ],
    }
}
