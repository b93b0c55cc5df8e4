//! Resource identity (Terraform >= 1.12): a small object that names one remote object
//! for the life of that object. Terraform stores it beside the state, shows it in
//! `terraform show -json`, imports by it (`import { identity = { … } }`) and lists by it
//! (`terraform query`).

use crate::codec::Type;
use crate::proto::tfplugin5 as pb;

/// One attribute of an identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    /// The name, as in `import { identity = { NAME = … } }`.
    pub name: &'static str,
    /// Its type (identities hold primitives).
    pub ty: Type,
    /// An import by identity must give it.
    pub required_for_import: bool,
    /// Shown by `terraform providers schema` and in the docs.
    pub description: &'static str,
}

impl IdentityAttribute {
    /// A string attribute an import must give.
    pub fn required_string(name: &'static str, description: &'static str) -> IdentityAttribute {
        IdentityAttribute {
            name,
            ty: Type::String,
            required_for_import: true,
            description,
        }
    }
}

/// The identity's schema (GetResourceIdentitySchemas).
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySchema {
    /// Its version; Terraform calls UpgradeResourceIdentity for identities stored with an
    /// older one.
    pub version: i64,
    /// Its attributes.
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// The cty object type of identity values.
    pub fn object_type(&self) -> Type {
        Type::object(self.attributes.iter().map(|a| (a.name, a.ty.clone())))
    }

    /// The schema as tfplugin5 carries it.
    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.to_string(),
                    r#type: a.ty.to_json_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: !a.required_for_import,
                    description: a.description.to_string(),
                })
                .collect(),
        }
    }
}
