//! How an object type declares itself to Terraform: its name, schema and static checks.

use super::context::Ctx;
use super::diag::Diagnostics;
use super::schema::Schema;
use crate::codec::Value;

/// What Terraform knows an object type by (resource, data source or ephemeral
/// resource): its name in configuration, its schema (GetProviderSchema), and the static
/// checks of one block (the Validate*Config RPCs, on validate, plan and apply). Values
/// checked may be unknown and the provider may not be configured yet: check only what
/// the configuration alone decides.
pub struct Declaration {
    /// The type name in configuration, e.g. `entra_mi_federated_credential`.
    pub type_name: &'static str,
    /// The schema; for a resource its version is the state's version.
    pub schema: Schema,
    /// The static checks of one block.
    pub validate: fn(&Value, &Ctx) -> Diagnostics,
}

impl Declaration {
    /// A type with static checks beyond what the schema says.
    pub fn new(
        type_name: &'static str,
        schema: Schema,
        validate: fn(&Value, &Ctx) -> Diagnostics,
    ) -> Declaration {
        Declaration {
            type_name,
            schema,
            validate,
        }
    }

    /// A type whose schema says all there is to check.
    pub fn unchecked(type_name: &'static str, schema: Schema) -> Declaration {
        Declaration::new(type_name, schema, |_, _| Diagnostics::new())
    }
}
