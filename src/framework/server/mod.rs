//! The tfplugin5 `Provider` service: decodes each request, calls the provider's code and
//! encodes the answer. User mistakes and provider failures become diagnostics; gRPC
//! errors are reserved for calls that cannot be answered at all.
//!
//! Laid out like terraform-plugin-framework's proto5server: [`from_proto`] and
//! [`to_proto`] convert between messages and values, and one module per kind of object
//! ([`provider`], [`resource`], [`data`]) says what each RPC means. The trait impl below
//! only delegates.

mod data;
mod from_proto;
mod list;
mod provider;
mod resource;
#[cfg(test)]
mod test_provider;
mod to_proto;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::context::{Ctx, ProviderData};
use super::declaration::Declaration;
use super::diag::Diagnostics;
use super::identity::IdentitySchema;
use super::list::ListResource;
use super::resource::Resource;
use super::schema::Schema;
use super::traits::{DataSource, EphemeralResource, Function, ProviderDef};
use crate::codec::{Type, Value};
use crate::proto::tfplugin5 as pb;
use crate::proto::tfplugin5::provider_server::Provider as ProviderService;
use to_proto::{failed, Answer};

type Rpc<T> = Result<Response<T>, Status>;

/// An implementation with its declaration and the object type values are decoded with.
struct Typed<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    validate: fn(&Value, &Ctx) -> Diagnostics,
    ty: Type,
    /// A resource's identity schema and the type identities are decoded with.
    identity: Option<(IdentitySchema, Type)>,
}

impl<T: ?Sized> Typed<T> {
    /// The type identities are decoded with; `None` for a type without identity.
    fn identity_type(&self) -> Option<&Type> {
        self.identity.as_ref().map(|(_, ty)| ty)
    }

    fn new(imp: Arc<T>, declaration: Declaration) -> Typed<T> {
        let ty = declaration.schema.object_type();
        Typed {
            imp,
            schema: declaration.schema,
            validate: declaration.validate,
            ty,
            identity: None,
        }
    }
}

/// The gRPC face of a provider. Every RPC is dispatched onto the framework's traits.
pub struct Server {
    provider: Arc<dyn ProviderDef>,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<&'static str, Typed<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Typed<dyn DataSource>>,
    ephemeral: BTreeMap<&'static str, Typed<dyn EphemeralResource>>,
    lists: BTreeMap<&'static str, Typed<dyn ListResource>>,
    functions: BTreeMap<&'static str, Arc<dyn Function>>,
    configured: RwLock<Option<ProviderData>>,
    stop: CancellationToken,
}

impl Server {
    /// Collects the provider's schemas and implementations once; they do not change for
    /// the life of the process.
    pub fn new(provider: impl ProviderDef) -> Server {
        let provider: Arc<dyn ProviderDef> = Arc::new(provider);
        let provider_schema = provider.schema();
        let provider_type = provider_schema.object_type();
        let mut resources = by_name(provider.resources(), |r| r.declaration());
        for t in resources.values_mut() {
            t.identity = t.imp.identity_schema().map(|s| {
                let ty = s.object_type();
                (s, ty)
            });
        }
        let data_sources = by_name(provider.data_sources(), |d| d.declaration());
        let ephemeral = by_name(provider.ephemeral_resources(), |e| e.declaration());
        let lists = by_name(provider.list_resources(), |l| l.declaration());
        let functions = provider
            .functions()
            .into_iter()
            .map(|f| (f.name(), f))
            .collect();
        Server {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            ephemeral,
            lists,
            functions,
            configured: RwLock::new(None),
            stop: CancellationToken::new(),
        }
    }

    /// Schemas of every kind, for the GetProviderSchema answer.
    pub fn schema_response(&self) -> pb::get_provider_schema::Response {
        fn schemas<T: ?Sized>(
            m: &BTreeMap<&'static str, Typed<T>>,
        ) -> std::collections::HashMap<String, pb::Schema> {
            m.iter()
                .map(|(k, t)| (k.to_string(), t.schema.to_proto()))
                .collect()
        }
        pb::get_provider_schema::Response {
            provider: Some(self.provider_schema.to_proto()),
            resource_schemas: schemas(&self.resources),
            data_source_schemas: schemas(&self.data_sources),
            ephemeral_resource_schemas: schemas(&self.ephemeral),
            list_resource_schemas: schemas(&self.lists),
            functions: self.function_protos(),
            server_capabilities: Some(to_proto::capabilities()),
            ..Default::default()
        }
    }

    fn function_protos(&self) -> std::collections::HashMap<String, pb::Function> {
        self.functions
            .iter()
            .map(|(k, f)| (k.to_string(), to_proto::function(f.as_ref())))
            .collect()
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            provider: self.configured.read().ok().and_then(|g| g.clone()),
            cancel: self.stop.clone(),
        }
    }

    fn set_configured(&self, data: ProviderData) {
        if let Ok(mut slot) = self.configured.write() {
            *slot = Some(data);
        }
    }

    fn resource(&self, name: &str) -> Result<&Typed<dyn Resource>, Diagnostics> {
        self.resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    fn data_source(&self, name: &str) -> Result<&Typed<dyn DataSource>, Diagnostics> {
        self.data_sources
            .get(name)
            .ok_or_else(|| unknown_type("data source", name))
    }

    fn list_resource(&self, name: &str) -> Result<&Typed<dyn ListResource>, Diagnostics> {
        self.lists
            .get(name)
            .ok_or_else(|| unknown_type("list resource", name))
    }

    fn ephemeral(&self, name: &str) -> Result<&Typed<dyn EphemeralResource>, Diagnostics> {
        self.ephemeral
            .get(name)
            .ok_or_else(|| unknown_type("ephemeral resource", name))
    }

    /// The Validate*Config RPCs: decode the configuration with the object's type, then
    /// run its static checks.
    fn validate_config<T: ?Sized, R: Answer>(
        &self,
        typed: Result<&Typed<T>, Diagnostics>,
        config: Option<&pb::DynamicValue>,
    ) -> R {
        let diags = with_config(typed, config)
            .map(|(t, config)| (t.validate)(&config, &self.ctx()))
            .unwrap_or_else(|d| d);
        failed(diags)
    }
}

/// Implementations keyed by their type name, each with its declaration.
fn by_name<T: ?Sized>(
    items: Vec<Arc<T>>,
    declaration: impl Fn(&T) -> Declaration,
) -> BTreeMap<&'static str, Typed<T>> {
    items
        .into_iter()
        .map(|imp| {
            let d = declaration(&imp);
            (d.type_name, Typed::new(imp, d))
        })
        .collect()
}

/// The object found by type name, with its configuration decoded with the object's type.
fn with_config<'a, T: ?Sized>(
    typed: Result<&'a Typed<T>, Diagnostics>,
    config: Option<&pb::DynamicValue>,
) -> Result<(&'a Typed<T>, Value), Diagnostics> {
    let t = typed?;
    Ok((t, from_proto::value(config, &t.ty, "configuration")?))
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} named {name:?}."),
    )
}

fn ok<T>(t: T) -> Rpc<T> {
    Ok(Response::new(t))
}

/// Writes the `Provider` service impl: one line per RPC, `name(message) => |self, request| body`,
/// where `message` is the module of the RPC's request/response pair. Each body only
/// delegates, so the impl stays a table of which module answers which RPC.
macro_rules! delegate_rpcs {
    ($($rpc:ident($msg:ident) => |$s:ident, $r:ident| $body:expr;)*) => {
        #[tonic::async_trait]
        impl ProviderService for Server {
            $(
                async fn $rpc(&$s, $r: Request<pb::$msg::Request>) -> Rpc<pb::$msg::Response> {
                    tracing::debug!(rpc = stringify!($msg), "tfplugin5 call");
                    #[allow(unused_variables)]
                    let $r = $r.into_inner();
                    ok($body)
                }
            )*

            async fn list_resource(
                &self,
                r: Request<pb::list_resource::Request>,
            ) -> Rpc<tonic::codegen::BoxStream<pb::list_resource::Event>> {
                tracing::debug!(rpc = "list_resource", "tfplugin5 call");
                ok(list::list(self, r.into_inner()))
            }
        }
    };
}

delegate_rpcs! {
    get_metadata(get_metadata) => |self, r| provider::metadata(self);
    get_schema(get_provider_schema) => |self, r| provider::schema(self);
    get_resource_identity_schemas(get_resource_identity_schemas) => |self, r| provider::identity_schemas(self);
    upgrade_resource_identity(upgrade_resource_identity) => |self, r| resource::upgrade_identity(self, r);
    prepare_provider_config(prepare_provider_config) => |self, r| provider::validate(self, r);
    configure(configure) => |self, r| provider::configure(self, r).await;
    stop(stop) => |self, r| provider::stop(self);
    get_functions(get_functions) => |self, r| provider::functions(self);
    call_function(call_function) => |self, r| provider::call_function(self, r).await;
    validate_resource_type_config(validate_resource_type_config) => |self, r| self.validate_config(self.resource(&r.type_name), r.config.as_ref());
    upgrade_resource_state(upgrade_resource_state) => |self, r| resource::upgrade(self, r);
    read_resource(read_resource) => |self, r| resource::read(self, r).await;
    plan_resource_change(plan_resource_change) => |self, r| resource::plan(self, r).await;
    apply_resource_change(apply_resource_change) => |self, r| resource::apply(self, r).await;
    import_resource_state(import_resource_state) => |self, r| resource::import(self, r).await;
    move_resource_state(move_resource_state) => |self, r| resource::move_state(self, r);
    generate_resource_config(generate_resource_config) => |self, r| resource::generate_config(self, r);
    validate_data_source_config(validate_data_source_config) => |self, r| self.validate_config(self.data_source(&r.type_name), r.config.as_ref());
    read_data_source(read_data_source) => |self, r| data::read_data_source(self, r).await;
    validate_ephemeral_resource_config(validate_ephemeral_resource_config) => |self, r| self.validate_config(self.ephemeral(&r.type_name), r.config.as_ref());
    open_ephemeral_resource(open_ephemeral_resource) => |self, r| data::open(self, r).await;
    renew_ephemeral_resource(renew_ephemeral_resource) => |self, r| data::renew(self, r).await;
    close_ephemeral_resource(close_ephemeral_resource) => |self, r| data::close(self, r).await;
    validate_list_resource_config(validate_list_resource_config) => |self, r| list::validate(self, r);
}
