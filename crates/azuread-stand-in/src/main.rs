//! A stand-in for `hashicorp/azuread`, for the end-to-end tests of `moved` blocks from
//! `azuread_application_federated_identity_credential`. Terraform needs the source
//! provider's plugin only for its schema while it moves state, so this serves that one
//! resource type's schema, as azuread 3.x or 2.x declares it (`AZUREAD_STAND_IN_MAJOR`,
//! `3` by default), and manages nothing.

use std::process::ExitCode;
use std::sync::Arc;

use terraform_provider_entra::codec::{Type, Value};
use terraform_provider_entra::framework::{
    ApplyResponse, Attribute, Block, CreateRequest, Ctx, Declaration, Diagnostics, ImportRequest,
    ImportResponse, ProviderData, ProviderDef, ReadRequest, ReadResponse, Resource, Schema, Server,
    UpdateRequest,
};

/// Which azuread major version's schema to serve (`2` or `3`).
const MAJOR_ENV: &str = "AZUREAD_STAND_IN_MAJOR";

fn main() -> ExitCode {
    let major = std::env::var(MAJOR_ENV).unwrap_or_default();
    let provider = StandIn {
        major_2: major.trim() == "2",
    };
    terraform_provider_entra::transport::run_plugin_main(Server::new(provider))
}

struct StandIn {
    major_2: bool,
}

#[async_trait::async_trait]
impl ProviderDef for StandIn {
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Stand-in for hashicorp/azuread (tests only)."),
        )
    }

    async fn configure(&self, _config: &Value, _ctx: &Ctx) -> Result<ProviderData, Diagnostics> {
        Ok(Arc::new(()))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(FederatedIdentityCredential {
            major_2: self.major_2,
        })]
    }
}

/// `azuread_application_federated_identity_credential`: azuread never gave it a schema
/// version, so both majors declare 0. 3.x requires `application_id`; 2.x (2.44 to 2.53)
/// has it optional and computed next to the deprecated `application_object_id`.
struct FederatedIdentityCredential {
    major_2: bool,
}

impl FederatedIdentityCredential {
    /// azuread's schema for the resource, in the major version this process stands for.
    fn schema(&self) -> Schema {
        let timeouts = ["create", "delete", "read", "update"]
            .into_iter()
            .fold(Block::new("SDK timeouts."), |b, name| {
                b.attribute(Attribute::string(name).optional())
            });
        let block = self
            .application_attributes()
            .into_iter()
            .fold(Block::new("Stand-in schema."), Block::attribute)
            .attribute(Attribute::new("audiences", Type::list(Type::String)).required())
            .attribute(Attribute::string("credential_id").computed())
            .attribute(Attribute::string("description").optional())
            .attribute(
                Attribute::string("display_name")
                    .required()
                    .requires_replace(),
            )
            .attribute(Attribute::string("id").optional().computed())
            .attribute(Attribute::string("issuer").required())
            .attribute(Attribute::string("subject").required())
            .block("timeouts", timeouts);
        Schema::new(0, block)
    }

    fn application_attributes(&self) -> Vec<Attribute> {
        if self.major_2 {
            vec![
                Attribute::string("application_id")
                    .optional()
                    .computed()
                    .requires_replace(),
                Attribute::string("application_object_id")
                    .optional()
                    .computed()
                    .requires_replace(),
            ]
        } else {
            vec![Attribute::string("application_id")
                .required()
                .requires_replace()]
        }
    }
}

/// What every operation but read answers: this plugin only serves a schema.
fn stand_in_only() -> Diagnostics {
    Diagnostics::from_error(
        "azuread stand-in",
        "This test plugin only serves azuread's schema; it manages no objects.",
    )
}

#[async_trait::async_trait]
impl Resource for FederatedIdentityCredential {
    fn declaration(&self) -> Declaration {
        Declaration::unchecked(
            "azuread_application_federated_identity_credential",
            self.schema(),
        )
    }

    async fn create(&self, _req: CreateRequest<'_>, _ctx: &Ctx) -> ApplyResponse {
        ApplyResponse::failed(stand_in_only())
    }

    async fn read(&self, req: ReadRequest<'_>, _ctx: &Ctx) -> ReadResponse {
        ReadResponse {
            state: Some(req.state.clone()),
            ..ReadResponse::default()
        }
    }

    async fn update(&self, _req: UpdateRequest<'_>, _ctx: &Ctx) -> ApplyResponse {
        ApplyResponse::failed(stand_in_only())
    }

    async fn delete(&self, _prior: &Value, _ctx: &Ctx) -> Diagnostics {
        stand_in_only()
    }

    async fn import(&self, _req: ImportRequest<'_>, _ctx: &Ctx) -> ImportResponse {
        ImportResponse {
            imported: Vec::new(),
            diagnostics: stand_in_only(),
        }
    }
}
