//! The tfplugin5 `Provider` service: decodes each request, calls the provider's code and
//! encodes the answer. User mistakes and provider failures become diagnostics; gRPC
//! errors are reserved for calls that cannot be answered at all.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag::Diagnostics;
use super::plan::plan_change;
use super::schema::Schema;
use super::traits::{
    Ctx, DataSource, EphemeralResource, Function, PlanRequest, ProviderData, ProviderDef, Resource,
};
use crate::codec::{self, Type, Value};
use crate::proto::tfplugin5 as pb;
use crate::proto::tfplugin5::provider_server::Provider as ProviderService;

type Rpc<T> = Result<Response<T>, Status>;

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

    fn ctx(&self) -> Ctx {
        Ctx {
            provider: self.configured.read().ok().and_then(|g| g.clone()),
            cancel: self.stop.clone(),
        }
    }

    fn resource(&self, name: &str) -> Result<&Typed<dyn Resource>, Diagnostics> {
        self.resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    /// Schemas of every kind, for the GetProviderSchema answer.
    pub fn schema_response(&self) -> pb::get_provider_schema::Response {
        pb::get_provider_schema::Response {
            provider: Some(self.provider_schema.to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|(k, t)| (k.to_string(), t.schema.to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(k, t)| (k.to_string(), t.schema.to_proto()))
                .collect(),
            ephemeral_resource_schemas: self
                .ephemeral
                .iter()
                .map(|(k, t)| (k.to_string(), t.schema.to_proto()))
                .collect(),
            functions: self
                .functions
                .iter()
                .map(|(k, f)| (k.to_string(), function_proto(f.as_ref())))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

fn function_proto(f: &dyn Function) -> pb::Function {
    pb::Function {
        parameters: f
            .parameters()
            .into_iter()
            .map(|(name, ty)| pb::function::Parameter {
                name: name.to_string(),
                r#type: ty.to_json_bytes(),
                ..Default::default()
            })
            .collect(),
        r#return: Some(pb::function::Return {
            r#type: f.return_type().to_json_bytes(),
        }),
        summary: f.summary().to_string(),
        ..Default::default()
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} named {name:?}."),
    )
}

/// Decodes a `DynamicValue`: msgpack normally, JSON when that is what was sent.
fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let result = if !dv.msgpack.is_empty() {
        codec::msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        codec::json::decode(&dv.json, ty)
    } else {
        Ok(Value::Null)
    };
    result.map_err(|e| {
        Diagnostics::from_error(
            format!("Invalid {what} received from Terraform"),
            e.to_string(),
        )
    })
}

fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    codec::msgpack::encode(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostics::from_error(
                format!("Provider produced an invalid {what}"),
                e.to_string(),
            )
        })
}

fn ok<T>(t: T) -> Rpc<T> {
    Ok(Response::new(t))
}

/// An object a resource returned must be wholly known and of the schema's type.
fn check_known(value: &Value, what: &str) -> Result<(), Diagnostics> {
    if value.is_wholly_known() {
        Ok(())
    } else {
        Err(Diagnostics::from_error(
            format!("Provider left values unknown in the {what}"),
            "This is a bug in the provider: every value must be known after apply or read.",
        ))
    }
}

#[tonic::async_trait]
impl ProviderService for Server {
    async fn get_metadata(
        &self,
        _r: Request<pb::get_metadata::Request>,
    ) -> Rpc<pb::get_metadata::Response> {
        use pb::get_metadata as m;
        ok(m::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: vec![],
            data_sources: self
                .data_sources
                .keys()
                .map(|k| m::DataSourceMetadata {
                    type_name: k.to_string(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|k| m::ResourceMetadata {
                    type_name: k.to_string(),
                })
                .collect(),
            functions: self
                .functions
                .keys()
                .map(|k| m::FunctionMetadata {
                    name: k.to_string(),
                })
                .collect(),
            ephemeral_resources: self
                .ephemeral
                .keys()
                .map(|k| m::EphemeralMetadata {
                    type_name: k.to_string(),
                })
                .collect(),
            list_resources: vec![],
        })
    }

    async fn get_schema(
        &self,
        _r: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        tracing::debug!("GetProviderSchema");
        ok(self.schema_response())
    }

    async fn get_resource_identity_schemas(
        &self,
        _r: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        ok(pb::get_resource_identity_schemas::Response::default())
    }

    async fn upgrade_resource_identity(
        &self,
        _r: Request<pb::upgrade_resource_identity::Request>,
    ) -> Rpc<pb::upgrade_resource_identity::Response> {
        ok(pb::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: Diagnostics::from_error(
                "Resource identity is not supported",
                "This provider defines no resource identities.",
            )
            .to_proto(),
        })
    }

    async fn prepare_provider_config(
        &self,
        r: Request<pb::prepare_provider_config::Request>,
    ) -> Rpc<pb::prepare_provider_config::Response> {
        let r = r.into_inner();
        tracing::debug!("PrepareProviderConfig");
        let config = match decode(
            r.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        ) {
            Ok(v) => v,
            Err(d) => {
                return ok(pb::prepare_provider_config::Response {
                    prepared_config: None,
                    diagnostics: d.to_proto(),
                })
            }
        };
        let diags = self.provider.validate(&config);
        ok(pb::prepare_provider_config::Response {
            prepared_config: r.config,
            diagnostics: diags.to_proto(),
        })
    }

    async fn validate_resource_type_config(
        &self,
        r: Request<pb::validate_resource_type_config::Request>,
    ) -> Rpc<pb::validate_resource_type_config::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "ValidateResourceTypeConfig");
        let diags = match self.resource(&r.type_name) {
            Ok(t) => match decode(r.config.as_ref(), &t.ty, "configuration") {
                Ok(config) => t.imp.validate(&config, &self.ctx()),
                Err(d) => d,
            },
            Err(d) => d,
        };
        ok(pb::validate_resource_type_config::Response {
            diagnostics: diags.to_proto(),
        })
    }

    async fn validate_data_source_config(
        &self,
        r: Request<pb::validate_data_source_config::Request>,
    ) -> Rpc<pb::validate_data_source_config::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "ValidateDataSourceConfig");
        let diags = match self.data_sources.get(r.type_name.as_str()) {
            Some(t) => match decode(r.config.as_ref(), &t.ty, "configuration") {
                Ok(config) => t.imp.validate(&config, &self.ctx()),
                Err(d) => d,
            },
            None => unknown_type("data source", &r.type_name),
        };
        ok(pb::validate_data_source_config::Response {
            diagnostics: diags.to_proto(),
        })
    }

    async fn validate_ephemeral_resource_config(
        &self,
        r: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Rpc<pb::validate_ephemeral_resource_config::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "ValidateEphemeralResourceConfig");
        let diags = match self.ephemeral.get(r.type_name.as_str()) {
            Some(t) => match decode(r.config.as_ref(), &t.ty, "configuration") {
                Ok(config) => t.imp.validate(&config, &self.ctx()),
                Err(d) => d,
            },
            None => unknown_type("ephemeral resource", &r.type_name),
        };
        ok(pb::validate_ephemeral_resource_config::Response {
            diagnostics: diags.to_proto(),
        })
    }

    async fn upgrade_resource_state(
        &self,
        r: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, version = r.version, "UpgradeResourceState");
        let result = (|| {
            let t = self.resource(&r.type_name)?;
            let raw = r.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                return Err(Diagnostics::from_error(
                    "Legacy state format",
                    "This state was written in Terraform 0.11's flatmap format, which this provider cannot read. Remove it from state and import the object again.",
                ));
            }
            let decoded = if raw.json.is_empty() {
                Value::Null
            } else {
                codec::json::decode(&raw.json, &t.ty).map_err(|e| {
                    Diagnostics::from_error("Stored state does not match the schema", e.to_string())
                })?
            };
            let upgraded = if decoded.is_null() {
                decoded
            } else {
                t.imp.upgrade_state(r.version, decoded)?
            };
            encode(&upgraded, &t.ty, "upgraded state")
        })();
        ok(match result {
            Ok(state) => pb::upgrade_resource_state::Response {
                upgraded_state: Some(state),
                diagnostics: vec![],
            },
            Err(d) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: d.to_proto(),
            },
        })
    }

    async fn configure(&self, r: Request<pb::configure::Request>) -> Rpc<pb::configure::Response> {
        let r = r.into_inner();
        tracing::debug!(terraform_version = %r.terraform_version, "ConfigureProvider");
        let diags = match decode(
            r.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        ) {
            Ok(config) => match self.provider.configure(&config, &self.ctx()).await {
                Ok(data) => {
                    if let Ok(mut slot) = self.configured.write() {
                        *slot = Some(data);
                    }
                    Diagnostics::new()
                }
                Err(d) => d,
            },
            Err(d) => d,
        };
        ok(pb::configure::Response {
            diagnostics: diags.to_proto(),
        })
    }

    async fn read_resource(
        &self,
        r: Request<pb::read_resource::Request>,
    ) -> Rpc<pb::read_resource::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "ReadResource");
        let result = async {
            let t = self.resource(&r.type_name)?;
            let state = decode(r.current_state.as_ref(), &t.ty, "state")?;
            if state.is_null() {
                return Ok((encode(&Value::Null, &t.ty, "state")?, Diagnostics::new()));
            }
            let (new_state, diags) = t.imp.read(&state, &self.ctx()).await;
            if diags.has_errors() {
                // Keep the prior state: a failed read must not drop the object.
                return Ok((encode(&state, &t.ty, "state")?, diags));
            }
            let new_state = new_state.unwrap_or(Value::Null);
            check_known(&new_state, "state")?;
            Ok::<_, Diagnostics>((encode(&new_state, &t.ty, "state")?, diags))
        }
        .await;
        ok(match result {
            Ok((state, d)) => pb::read_resource::Response {
                new_state: Some(state),
                diagnostics: d.to_proto(),
                private: r.private,
                ..Default::default()
            },
            Err(d) => pb::read_resource::Response {
                new_state: r.current_state,
                diagnostics: d.to_proto(),
                private: r.private,
                ..Default::default()
            },
        })
    }

    async fn plan_resource_change(
        &self,
        r: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "PlanResourceChange");
        let result = async {
            let t = self.resource(&r.type_name)?;
            let prior = decode(r.prior_state.as_ref(), &t.ty, "prior state")?;
            let proposed = decode(r.proposed_new_state.as_ref(), &t.ty, "proposed state")?;
            let config = decode(r.config.as_ref(), &t.ty, "configuration")?;
            if proposed.is_null() {
                return Ok((
                    encode(&Value::Null, &t.ty, "plan")?,
                    Vec::new(),
                    Diagnostics::new(),
                ));
            }
            let prior_opt = (!prior.is_null()).then_some(&prior);
            let (planned, requires_replace) = plan_change(&t.schema, prior_opt, &proposed, &config);
            let mut req = PlanRequest {
                prior: prior_opt,
                config: &config,
                planned,
                requires_replace,
            };
            let diags = t.imp.modify_plan(&mut req, &self.ctx()).await;
            let replace = req.requires_replace.iter().map(|p| p.to_proto()).collect();
            Ok::<_, Diagnostics>((encode(&req.planned, &t.ty, "plan")?, replace, diags))
        }
        .await;
        ok(match result {
            Ok((planned, replace, d)) => pb::plan_resource_change::Response {
                planned_state: Some(planned),
                requires_replace: replace,
                planned_private: r.prior_private,
                diagnostics: d.to_proto(),
                ..Default::default()
            },
            Err(d) => pb::plan_resource_change::Response {
                diagnostics: d.to_proto(),
                ..Default::default()
            },
        })
    }

    async fn apply_resource_change(
        &self,
        r: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "ApplyResourceChange");
        let result = async {
            let t = self.resource(&r.type_name)?;
            let prior = decode(r.prior_state.as_ref(), &t.ty, "prior state")?;
            let planned = decode(r.planned_state.as_ref(), &t.ty, "planned state")?;
            let config = decode(r.config.as_ref(), &t.ty, "configuration")?;
            let ctx = self.ctx();
            let (new_state, diags) = if planned.is_null() {
                let d = t.imp.delete(&prior, &ctx).await;
                // A failed delete keeps the object in state.
                let state = if d.has_errors() {
                    Some(prior.clone())
                } else {
                    None
                };
                (state, d)
            } else if prior.is_null() {
                t.imp.create(&planned, &config, &ctx).await
            } else {
                let (s, d) = t.imp.update(&prior, &planned, &config, &ctx).await;
                // A failed update keeps what we know: the prior object.
                (s.or_else(|| d.has_errors().then(|| prior.clone())), d)
            };
            let new_state = new_state.unwrap_or(Value::Null);
            if let Err(mut d) = check_known(&new_state, "new state") {
                d.extend(diags);
                return Err(d);
            }
            Ok::<_, Diagnostics>((encode(&new_state, &t.ty, "new state")?, diags))
        }
        .await;
        ok(match result {
            Ok((state, d)) => pb::apply_resource_change::Response {
                new_state: Some(state),
                private: r.planned_private,
                diagnostics: d.to_proto(),
                ..Default::default()
            },
            Err(d) => pb::apply_resource_change::Response {
                new_state: r.prior_state,
                diagnostics: d.to_proto(),
                ..Default::default()
            },
        })
    }

    async fn import_resource_state(
        &self,
        r: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "ImportResourceState");
        let result = async {
            let t = self.resource(&r.type_name)?;
            let (objects, diags) = t.imp.import(&r.id, &self.ctx()).await;
            if diags.has_errors() {
                return Err(diags);
            }
            let mut imported = Vec::new();
            for o in objects {
                check_known(&o, "imported state")?;
                imported.push(pb::import_resource_state::ImportedResource {
                    type_name: r.type_name.clone(),
                    state: Some(encode(&o, &t.ty, "imported state")?),
                    ..Default::default()
                });
            }
            Ok::<_, Diagnostics>((imported, diags))
        }
        .await;
        ok(match result {
            Ok((imported, d)) => pb::import_resource_state::Response {
                imported_resources: imported,
                diagnostics: d.to_proto(),
                deferred: None,
            },
            Err(d) => pb::import_resource_state::Response {
                diagnostics: d.to_proto(),
                ..Default::default()
            },
        })
    }

    async fn move_resource_state(
        &self,
        r: Request<pb::move_resource_state::Request>,
    ) -> Rpc<pb::move_resource_state::Response> {
        let r = r.into_inner();
        ok(pb::move_resource_state::Response {
            diagnostics: Diagnostics::from_error(
                "Moving resource state is not supported",
                format!(
                    "{} cannot be moved from {} ({}). Remove it from state and import it instead.",
                    r.target_type_name, r.source_type_name, r.source_provider_address
                ),
            )
            .to_proto(),
            ..Default::default()
        })
    }

    async fn read_data_source(
        &self,
        r: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "ReadDataSource");
        let result = async {
            let t = self
                .data_sources
                .get(r.type_name.as_str())
                .ok_or_else(|| unknown_type("data source", &r.type_name))?;
            let config = decode(r.config.as_ref(), &t.ty, "configuration")?;
            let (state, diags) = t.imp.read(&config, &self.ctx()).await;
            if diags.has_errors() {
                return Err(diags);
            }
            let state = state.unwrap_or(Value::Null);
            check_known(&state, "data source result")?;
            Ok::<_, Diagnostics>((encode(&state, &t.ty, "data source result")?, diags))
        }
        .await;
        ok(match result {
            Ok((state, d)) => pb::read_data_source::Response {
                state: Some(state),
                diagnostics: d.to_proto(),
                deferred: None,
            },
            Err(d) => pb::read_data_source::Response {
                diagnostics: d.to_proto(),
                ..Default::default()
            },
        })
    }

    async fn open_ephemeral_resource(
        &self,
        r: Request<pb::open_ephemeral_resource::Request>,
    ) -> Rpc<pb::open_ephemeral_resource::Response> {
        let r = r.into_inner();
        tracing::debug!(type_name = %r.type_name, "OpenEphemeralResource");
        let result = async {
            let t = self
                .ephemeral
                .get(r.type_name.as_str())
                .ok_or_else(|| unknown_type("ephemeral resource", &r.type_name))?;
            let config = decode(r.config.as_ref(), &t.ty, "configuration")?;
            let (opened, diags) = t.imp.open(&config, &self.ctx()).await;
            let Some(opened) = opened.filter(|_| !diags.has_errors()) else {
                return Err(diags);
            };
            check_known(&opened.result, "ephemeral result")?;
            let result = encode(&opened.result, &t.ty, "ephemeral result")?;
            Ok::<_, Diagnostics>((result, opened.renew_at, opened.private, diags))
        }
        .await;
        ok(match result {
            Ok((result, renew_at, private, d)) => pb::open_ephemeral_resource::Response {
                diagnostics: d.to_proto(),
                renew_at: renew_at.map(|t| prost_types::Timestamp {
                    seconds: t.unix_timestamp(),
                    nanos: i32::try_from(t.nanosecond()).unwrap_or(0),
                }),
                result: Some(result),
                private: Some(private),
                deferred: None,
            },
            Err(d) => pb::open_ephemeral_resource::Response {
                diagnostics: d.to_proto(),
                ..Default::default()
            },
        })
    }

    async fn renew_ephemeral_resource(
        &self,
        r: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Rpc<pb::renew_ephemeral_resource::Response> {
        let r = r.into_inner();
        let Some(t) = self.ephemeral.get(r.type_name.as_str()) else {
            return ok(pb::renew_ephemeral_resource::Response {
                diagnostics: unknown_type("ephemeral resource", &r.type_name).to_proto(),
                ..Default::default()
            });
        };
        let private = r.private.unwrap_or_default();
        let (renew_at, d) = t.imp.renew(&private, &self.ctx()).await;
        ok(pb::renew_ephemeral_resource::Response {
            diagnostics: d.to_proto(),
            renew_at: renew_at.map(|t| prost_types::Timestamp {
                seconds: t.unix_timestamp(),
                nanos: 0,
            }),
            private: Some(private),
        })
    }

    async fn close_ephemeral_resource(
        &self,
        r: Request<pb::close_ephemeral_resource::Request>,
    ) -> Rpc<pb::close_ephemeral_resource::Response> {
        let r = r.into_inner();
        let d = match self.ephemeral.get(r.type_name.as_str()) {
            Some(t) => {
                t.imp
                    .close(&r.private.unwrap_or_default(), &self.ctx())
                    .await
            }
            None => unknown_type("ephemeral resource", &r.type_name),
        };
        ok(pb::close_ephemeral_resource::Response {
            diagnostics: d.to_proto(),
        })
    }

    async fn list_resource(
        &self,
        r: Request<pb::list_resource::Request>,
    ) -> Rpc<tonic::codegen::BoxStream<pb::list_resource::Event>> {
        let r = r.into_inner();
        let event = pb::list_resource::Event {
            diagnostic: unknown_type("list resource", &r.type_name).to_proto(),
            ..Default::default()
        };
        ok(Box::pin(futures_util::stream::iter([Ok(event)])))
    }

    async fn validate_list_resource_config(
        &self,
        r: Request<pb::validate_list_resource_config::Request>,
    ) -> Rpc<pb::validate_list_resource_config::Response> {
        let r = r.into_inner();
        ok(pb::validate_list_resource_config::Response {
            diagnostics: unknown_type("list resource", &r.type_name).to_proto(),
        })
    }

    async fn get_functions(
        &self,
        _r: Request<pb::get_functions::Request>,
    ) -> Rpc<pb::get_functions::Response> {
        ok(pb::get_functions::Response {
            functions: self
                .functions
                .iter()
                .map(|(k, f)| (k.to_string(), function_proto(f.as_ref())))
                .collect(),
            diagnostics: vec![],
        })
    }

    async fn call_function(
        &self,
        r: Request<pb::call_function::Request>,
    ) -> Rpc<pb::call_function::Response> {
        let r = r.into_inner();
        let error = |text: String| pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text,
                function_argument: None,
            }),
        };
        let Some(f) = self.functions.get(r.name.as_str()) else {
            return ok(error(format!(
                "This provider has no function named {:?}.",
                r.name
            )));
        };
        let params = f.parameters();
        if params.len() != r.arguments.len() {
            return ok(error(format!(
                "{} takes {} arguments, got {}.",
                r.name,
                params.len(),
                r.arguments.len()
            )));
        }
        let mut args = Vec::new();
        for ((_, ty), dv) in params.iter().zip(&r.arguments) {
            match decode(Some(dv), ty, "argument") {
                Ok(v) => args.push(v),
                Err(d) => {
                    return ok(error(
                        d.0.first().map(|x| x.detail.clone()).unwrap_or_default(),
                    ))
                }
            }
        }
        match f.call(args).await {
            Ok(v) => match encode(&v, &f.return_type(), "function result") {
                Ok(dv) => ok(pb::call_function::Response {
                    result: Some(dv),
                    error: None,
                }),
                Err(d) => ok(error(
                    d.0.first().map(|x| x.detail.clone()).unwrap_or_default(),
                )),
            },
            Err(text) => ok(error(text)),
        }
    }

    async fn stop(&self, _r: Request<pb::stop::Request>) -> Rpc<pb::stop::Response> {
        tracing::debug!("StopProvider: cancelling in-flight work");
        self.stop.cancel();
        ok(pb::stop::Response {
            error: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{Attribute, Block};

    struct Slow;

    #[async_trait::async_trait]
    impl Resource for Slow {
        fn type_name(&self) -> &'static str {
            "test_slow"
        }
        fn schema(&self) -> Schema {
            Schema::new(
                0,
                Block::new("t").attribute(Attribute::string("id").computed().describe("d")),
            )
        }
        async fn create(&self, _p: &Value, _c: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics) {
            // Waits for Terraform's Stop, as a long Graph retry loop would.
            ctx.cancel.cancelled().await;
            (
                None,
                Diagnostics::from_error("cancelled", "stopped by Terraform"),
            )
        }
        async fn read(&self, s: &Value, _ctx: &Ctx) -> (Option<Value>, Diagnostics) {
            (Some(s.clone()), Diagnostics::new())
        }
        async fn update(
            &self,
            _p: &Value,
            n: &Value,
            _c: &Value,
            _ctx: &Ctx,
        ) -> (Option<Value>, Diagnostics) {
            (Some(n.clone()), Diagnostics::new())
        }
        async fn delete(&self, _p: &Value, _ctx: &Ctx) -> Diagnostics {
            Diagnostics::new()
        }
        async fn import(&self, _id: &str, _ctx: &Ctx) -> (Vec<Value>, Diagnostics) {
            (vec![], Diagnostics::new())
        }
    }

    struct P;

    #[async_trait::async_trait]
    impl ProviderDef for P {
        fn schema(&self) -> Schema {
            Schema::new(0, Block::new("p"))
        }
        async fn configure(&self, _c: &Value, _ctx: &Ctx) -> Result<ProviderData, Diagnostics> {
            Ok(Arc::new(()))
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(Slow)]
        }
    }

    fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: codec::msgpack::encode(v, ty).unwrap(),
            json: vec![],
        })
    }

    #[tokio::test]
    async fn stop_cancels_in_flight_applies() {
        let server = Arc::new(Server::new(P));
        let ty = Type::object([("id", Type::String)]);
        let planned = Value::Object([("id".to_string(), Value::Unknown)].into_iter().collect());
        let s2 = server.clone();
        let (t1, t2) = (ty.clone(), ty.clone());
        let apply = tokio::spawn(async move {
            s2.apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_slow".into(),
                prior_state: dv(&Value::Null, &t1),
                planned_state: dv(&planned, &t1),
                config: dv(
                    &Value::Object([("id".to_string(), Value::Null)].into_iter().collect()),
                    &t2,
                ),
                ..Default::default()
            }))
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!apply.is_finished());
        server
            .stop(Request::new(pb::stop::Request {}))
            .await
            .unwrap();
        let resp = tokio::time::timeout(std::time::Duration::from_secs(2), apply)
            .await
            .unwrap()
            .unwrap()
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.iter().any(|d| d.summary == "cancelled"));
    }

    #[tokio::test]
    async fn unknown_types_are_diagnostics_not_errors() {
        let server = Server::new(P);
        let resp = server
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "nope".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.diagnostics.len(), 1);
        let caps = server
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .unwrap()
            .into_inner()
            .server_capabilities
            .unwrap();
        assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    }
}
