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
mod provider;
mod resource;
#[cfg(test)]
mod test_provider;
mod to_proto;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::Diagnostics;
use super::schema::Schema;
use super::traits::{
    Ctx, DataSource, EphemeralResource, Function, ProviderData, ProviderDef, Resource,
};
use crate::codec::{Type, Value};
use crate::proto::tfplugin5 as pb;
use crate::proto::tfplugin5::provider_server::Provider as ProviderService;

type Rpc<T> = Result<Response<T>, Status>;

/// An implementation with its schema and the object type values are decoded with.
struct Typed<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Type,
}

impl<T: ?Sized> Typed<T> {
    fn new(imp: Arc<T>, schema: Schema) -> Typed<T> {
        let ty = schema.object_type();
        Typed { imp, schema, ty }
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
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), Typed::new(r.clone(), r.schema())))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), Typed::new(d.clone(), d.schema())))
            .collect();
        let ephemeral = provider
            .ephemeral_resources()
            .into_iter()
            .map(|e| (e.type_name(), Typed::new(e.clone(), e.schema())))
            .collect();
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

    fn ephemeral(&self, name: &str) -> Result<&Typed<dyn EphemeralResource>, Diagnostics> {
        self.ephemeral
            .get(name)
            .ok_or_else(|| unknown_type("ephemeral resource", name))
    }

    /// The Validate*Config RPCs: decode the configuration with the object's type, then
    /// run its static checks.
    fn validate_config<T: ?Sized>(
        &self,
        typed: Result<&Typed<T>, Diagnostics>,
        config: Option<&pb::DynamicValue>,
        check: impl FnOnce(&T, &Value, &Ctx) -> Diagnostics,
    ) -> Diagnostics {
        with_config(typed, config)
            .map(|(t, config)| check(&t.imp, &config, &self.ctx()))
            .unwrap_or_else(|d| d)
    }
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

#[tonic::async_trait]
impl ProviderService for Server {
    async fn get_metadata(
        &self,
        _r: Request<pb::get_metadata::Request>,
    ) -> Rpc<pb::get_metadata::Response> {
        ok(provider::metadata(self))
    }

    async fn get_schema(
        &self,
        _r: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        ok(provider::schema(self))
    }

    async fn get_resource_identity_schemas(
        &self,
        _r: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        ok(provider::identity_schemas())
    }

    async fn upgrade_resource_identity(
        &self,
        _r: Request<pb::upgrade_resource_identity::Request>,
    ) -> Rpc<pb::upgrade_resource_identity::Response> {
        ok(provider::upgrade_identity())
    }

    async fn prepare_provider_config(
        &self,
        r: Request<pb::prepare_provider_config::Request>,
    ) -> Rpc<pb::prepare_provider_config::Response> {
        ok(provider::validate(self, r.into_inner()))
    }

    async fn configure(&self, r: Request<pb::configure::Request>) -> Rpc<pb::configure::Response> {
        ok(provider::configure(self, r.into_inner()).await)
    }

    async fn stop(&self, _r: Request<pb::stop::Request>) -> Rpc<pb::stop::Response> {
        ok(provider::stop(self))
    }

    async fn get_functions(
        &self,
        _r: Request<pb::get_functions::Request>,
    ) -> Rpc<pb::get_functions::Response> {
        ok(provider::functions(self))
    }

    async fn call_function(
        &self,
        r: Request<pb::call_function::Request>,
    ) -> Rpc<pb::call_function::Response> {
        ok(provider::call_function(self, r.into_inner()).await)
    }

    async fn validate_resource_type_config(
        &self,
        r: Request<pb::validate_resource_type_config::Request>,
    ) -> Rpc<pb::validate_resource_type_config::Response> {
        ok(resource::validate(self, r.into_inner()))
    }

    async fn upgrade_resource_state(
        &self,
        r: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        ok(resource::upgrade(self, r.into_inner()))
    }

    async fn read_resource(
        &self,
        r: Request<pb::read_resource::Request>,
    ) -> Rpc<pb::read_resource::Response> {
        ok(resource::read(self, r.into_inner()).await)
    }

    async fn plan_resource_change(
        &self,
        r: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        ok(resource::plan(self, r.into_inner()).await)
    }

    async fn apply_resource_change(
        &self,
        r: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        ok(resource::apply(self, r.into_inner()).await)
    }

    async fn import_resource_state(
        &self,
        r: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        ok(resource::import(self, r.into_inner()).await)
    }

    async fn move_resource_state(
        &self,
        r: Request<pb::move_resource_state::Request>,
    ) -> Rpc<pb::move_resource_state::Response> {
        ok(resource::move_state(self, r.into_inner()))
    }

    async fn validate_data_source_config(
        &self,
        r: Request<pb::validate_data_source_config::Request>,
    ) -> Rpc<pb::validate_data_source_config::Response> {
        ok(data::validate_data_source(self, r.into_inner()))
    }

    async fn read_data_source(
        &self,
        r: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        ok(data::read_data_source(self, r.into_inner()).await)
    }

    async fn validate_ephemeral_resource_config(
        &self,
        r: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Rpc<pb::validate_ephemeral_resource_config::Response> {
        ok(data::validate_ephemeral(self, r.into_inner()))
    }

    async fn open_ephemeral_resource(
        &self,
        r: Request<pb::open_ephemeral_resource::Request>,
    ) -> Rpc<pb::open_ephemeral_resource::Response> {
        ok(data::open(self, r.into_inner()).await)
    }

    async fn renew_ephemeral_resource(
        &self,
        r: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Rpc<pb::renew_ephemeral_resource::Response> {
        ok(data::renew(self, r.into_inner()).await)
    }

    async fn close_ephemeral_resource(
        &self,
        r: Request<pb::close_ephemeral_resource::Request>,
    ) -> Rpc<pb::close_ephemeral_resource::Response> {
        ok(data::close(self, r.into_inner()).await)
    }

    async fn list_resource(
        &self,
        r: Request<pb::list_resource::Request>,
    ) -> Rpc<tonic::codegen::BoxStream<pb::list_resource::Event>> {
        let event = data::list(r.into_inner());
        ok(Box::pin(futures_util::stream::iter([Ok(event)])))
    }

    async fn validate_list_resource_config(
        &self,
        r: Request<pb::validate_list_resource_config::Request>,
    ) -> Rpc<pb::validate_list_resource_config::Response> {
        ok(data::validate_list(r.into_inner()))
    }
}
