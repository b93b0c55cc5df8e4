//! Typed schemas: what Terraform shows in `providers schema`, validates configuration
//! against, and what the codec decodes values with.

use std::collections::BTreeMap;

use crate::codec::Type;
use crate::proto::tfplugin5 as pb;

/// One attribute of a block: its name and type, and who may set it. Built with
/// `Attribute::string("name").required().describe("...")`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The name in configuration, `^[a-z0-9_]+$`.
    pub name: &'static str,
    /// The cty type values of this attribute have.
    pub ty: Type,
    /// Markdown, shown by `terraform providers schema` and in the docs.
    pub description: String,
    /// The configuration must set it.
    pub required: bool,
    /// The configuration may set it.
    pub optional: bool,
    /// The provider sets it (when the configuration does not, if also optional).
    pub computed: bool,
    /// Terraform hides the value in plans and output.
    pub sensitive: bool,
    /// Sent on apply but never stored in plan or state.
    pub write_only: bool,
    /// A change of this attribute replaces the resource.
    pub requires_replace: bool,
    /// Terraform warns when the configuration sets it.
    pub deprecated: bool,
}

/// The builder methods that set one flag of [`Attribute`], each documented as its field.
macro_rules! flag_setters {
    ($($(#[$doc:meta])* $flag:ident;)*) => {
        impl Attribute {
            $($(#[$doc])* pub fn $flag(mut self) -> Self {
                self.$flag = true;
                self
            })*
        }
    };
}

flag_setters! {
    /// The configuration must set it.
    required;
    /// The configuration may set it.
    optional;
    /// The provider sets it; planned unknown on create when the configuration leaves it
    /// null.
    computed;
    /// Terraform hides the value in plans and output.
    sensitive;
    /// Sent on apply but never stored in plan or state.
    write_only;
    /// A change of this attribute plans a replacement instead of an update.
    requires_replace;
}

impl Attribute {
    /// An attribute of any type, none of its flags set yet.
    pub fn new(name: &'static str, ty: Type) -> Attribute {
        Attribute {
            name,
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            requires_replace: false,
            deprecated: false,
        }
    }

    /// A string attribute.
    pub fn string(name: &'static str) -> Attribute {
        Attribute::new(name, Type::String)
    }

    /// A bool attribute.
    pub fn bool(name: &'static str) -> Attribute {
        Attribute::new(name, Type::Bool)
    }

    /// Markdown, shown by `terraform providers schema` and checked against `docs/`.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.to_string(),
            r#type: self.ty.to_json_bytes(),
            description: self.description.clone(),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated,
            write_only: self.write_only,
        }
    }
}

/// A nested block with nesting mode "single" (e.g. `timeouts { ... }`): null when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    /// The block's name in configuration, e.g. `timeouts`.
    pub type_name: &'static str,
    /// What the block holds.
    pub block: Block,
}

/// A configuration block: the top level of a provider, resource, data source or
/// ephemeral resource, or a nested block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    /// Markdown, shown by `terraform providers schema` and in the docs.
    pub description: String,
    /// The block's attributes, in the order shown.
    pub attributes: Vec<Attribute>,
    /// Blocks nested in this one.
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    /// An empty block with a description.
    pub fn new(description: impl Into<String>) -> Block {
        Block {
            description: description.into(),
            ..Block::default()
        }
    }

    /// Adds an attribute.
    pub fn attribute(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }

    /// Adds a nested block (nesting mode "single").
    pub fn block(mut self, type_name: &'static str, block: Block) -> Self {
        self.blocks.push(NestedBlock { type_name, block });
        self
    }

    /// The cty object type of values of this block.
    pub fn object_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.to_string(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.type_name.to_string(), b.block.object_type());
        }
        Type::Object(attrs)
    }

    /// The attribute named `name`, if the block has one.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    fn to_proto(&self, version: i64) -> pb::schema::Block {
        pb::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self
                .blocks
                .iter()
                .map(|b| pb::schema::NestedBlock {
                    type_name: b.type_name.to_string(),
                    block: Some(b.block.to_proto(0)),
                    nesting: pb::schema::nested_block::NestingMode::Single as i32,
                    min_items: 0,
                    max_items: 0,
                })
                .collect(),
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
        }
    }
}

/// The schema of a provider block, resource, data source or ephemeral resource: what
/// Terraform validates configuration against and what values are decoded with.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The state's schema version; Terraform calls UpgradeResourceState with the
    /// version a stored state was written with.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A schema of `version` with `block` at the top.
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    /// The cty object type of whole values (configuration, plan, state) of this schema.
    pub fn object_type(&self) -> Type {
        self.block.object_type()
    }

    /// The schema as tfplugin5 carries it in GetProviderSchema.
    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }

    /// The top-level attribute named `name`, if any.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.block.get(name)
    }
}

/// What kind of object a schema describes: top-level names forbidden by Terraform differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// The provider block.
    Provider,
    /// A managed resource.
    Resource,
    /// A data source.
    DataSource,
    /// An ephemeral resource.
    EphemeralResource,
}

/// Terraform's own schema rules (terraform-plugin-sdk's `InternalValidate` and core's
/// checks), so a broken schema fails a unit test rather than a user's `terraform init`.
pub fn check_schema(kind: SchemaKind, schema: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    check_block(kind, &schema.block, "", true, &mut problems);
    problems
}

fn check_block(
    kind: SchemaKind,
    block: &Block,
    prefix: &str,
    top: bool,
    problems: &mut Vec<String>,
) {
    const RESERVED_RESOURCE: &[&str] = &[
        "connection",
        "count",
        "depends_on",
        "lifecycle",
        "provider",
        "provisioner",
        "for_each",
    ];
    const RESERVED_PROVIDER: &[&str] = &["alias", "version"];
    let mut seen = std::collections::BTreeSet::new();
    let names = block
        .attributes
        .iter()
        .map(|a| a.name)
        .chain(block.blocks.iter().map(|b| b.type_name));
    for name in names {
        if !seen.insert(name) {
            problems.push(format!("{prefix}{name}: defined twice"));
        }
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            problems.push(format!("{prefix}{name}: names must match ^[a-z0-9_]+$"));
        }
        if top {
            let reserved = match kind {
                SchemaKind::Provider => RESERVED_PROVIDER,
                _ => RESERVED_RESOURCE,
            };
            if reserved.contains(&name) {
                problems.push(format!("{prefix}{name}: reserved by Terraform"));
            }
        }
    }
    if top && kind == SchemaKind::Resource && block.get("id").is_some_and(|a| !a.computed) {
        problems.push("id: must be computed".to_string());
    }
    for a in &block.attributes {
        let p = format!("{prefix}{}", a.name);
        if !(a.required || a.optional || a.computed) {
            problems.push(format!(
                "{p}: one of required, optional, computed must be set"
            ));
        }
        if a.required && (a.optional || a.computed) {
            problems.push(format!("{p}: required cannot be optional or computed"));
        }
        if a.write_only && a.computed {
            problems.push(format!("{p}: write-only attributes cannot be computed"));
        }
        if a.write_only && kind != SchemaKind::Resource {
            problems.push(format!(
                "{p}: write-only attributes exist only in resources"
            ));
        }
        if a.requires_replace && kind != SchemaKind::Resource {
            problems.push(format!("{p}: requires_replace only applies to resources"));
        }
        if a.requires_replace && !(a.required || a.optional) {
            problems.push(format!(
                "{p}: requires_replace on a computed-only attribute has no effect"
            ));
        }
        if a.description.trim().is_empty() {
            problems.push(format!("{p}: needs a description"));
        }
    }
    for b in &block.blocks {
        check_block(
            kind,
            &b.block,
            &format!("{prefix}{}.", b.type_name),
            false,
            problems,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_catch_broken_schemas() {
        let bad = Schema::new(
            0,
            Block::new("x")
                .attribute(Attribute::string("count").optional().describe("d"))
                .attribute(
                    Attribute::string("Name")
                        .required()
                        .computed()
                        .describe("d"),
                )
                .attribute(Attribute::string("id").optional().describe("d"))
                .attribute(Attribute::string("nothing"))
                .attribute(
                    Attribute::string("out")
                        .computed()
                        .requires_replace()
                        .describe("d"),
                ),
        );
        let problems = check_schema(SchemaKind::Resource, &bad);
        for want in [
            "count: reserved",
            "Name: names must match",
            "Name: required cannot",
            "id: must be computed",
            "nothing: one of",
            "nothing: needs a description",
            "out: requires_replace",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(want)),
                "missing {want:?} in {problems:?}"
            );
        }
    }

    #[test]
    fn object_type_includes_blocks() {
        let timeouts = Block::new("t").attribute(Attribute::string("create").optional());
        let block = Block::new("x").attribute(Attribute::string("a").optional());
        let s = Schema::new(0, block.block("timeouts", timeouts));
        let t = s.object_type();
        let Type::Object(attrs) = t else {
            panic!("object expected")
        };
        assert!(attrs.contains_key("a"));
        assert_eq!(
            attrs.get("timeouts"),
            Some(&Type::object([("create", Type::String)]))
        );
    }
}
