//! The provider-level RPCs: metadata and schemas, the provider block's validation and
//! configuration, Stop, and provider-defined functions.

use super::{from_proto, to_proto, Server};
use crate::framework::diag::Diagnostics;
use crate::proto::tfplugin5 as pb;

/// The provider block, decoded with its schema's type.
fn provider_config(
    server: &Server,
    config: Option<&pb::DynamicValue>,
) -> Result<crate::codec::Value, Diagnostics> {
    from_proto::value(config, &server.provider_type, "provider configuration")
}

/// GetMetadata: the type names of everything this provider serves, so Terraform can skip
/// GetProviderSchema when it has the schemas cached.
pub(super) fn metadata(server: &Server) -> pb::get_metadata::Response {
    use pb::get_metadata as m;
    m::Response {
        server_capabilities: Some(to_proto::capabilities()),
        diagnostics: vec![],
        data_sources: server
            .data_sources
            .keys()
            .map(|k| m::DataSourceMetadata {
                type_name: k.to_string(),
            })
            .collect(),
        resources: server
            .resources
            .keys()
            .map(|k| m::ResourceMetadata {
                type_name: k.to_string(),
            })
            .collect(),
        functions: server
            .functions
            .keys()
            .map(|k| m::FunctionMetadata {
                name: k.to_string(),
            })
            .collect(),
        ephemeral_resources: server
            .ephemeral
            .keys()
            .map(|k| m::EphemeralMetadata {
                type_name: k.to_string(),
            })
            .collect(),
        list_resources: server
            .lists
            .keys()
            .map(|k| m::ListResourceMetadata {
                type_name: k.to_string(),
            })
            .collect(),
    }
}

/// GetProviderSchema: the schemas of the provider block and of every kind of object.
pub(super) fn schema(server: &Server) -> pb::get_provider_schema::Response {
    tracing::debug!("GetProviderSchema");
    server.schema_response()
}

/// PrepareProviderConfig: static checks of the provider block. The configuration is
/// returned as sent: this provider fills no defaults here.
pub(super) fn validate(
    server: &Server,
    r: pb::prepare_provider_config::Request,
) -> pb::prepare_provider_config::Response {
    tracing::debug!("PrepareProviderConfig");
    let diags = match provider_config(server, r.config.as_ref()) {
        Ok(config) => server.provider.validate(&config),
        Err(d) => {
            return pb::prepare_provider_config::Response {
                prepared_config: None,
                diagnostics: d.to_proto(),
            }
        }
    };
    pb::prepare_provider_config::Response {
        prepared_config: r.config,
        diagnostics: diags.to_proto(),
    }
}

/// ConfigureProvider: builds the provider data every later call receives in its context.
pub(super) async fn configure(
    server: &Server,
    r: pb::configure::Request,
) -> pb::configure::Response {
    tracing::debug!(terraform_version = %r.terraform_version, "ConfigureProvider");
    let diags = match provider_config(server, r.config.as_ref()) {
        Ok(config) => match server.provider.configure(&config, &server.ctx()).await {
            Ok(data) => {
                server.set_configured(data);
                Diagnostics::new()
            }
            Err(d) => d,
        },
        Err(d) => d,
    };
    pb::configure::Response {
        diagnostics: diags.to_proto(),
    }
}

/// StopProvider: cancels every in-flight call (their contexts' `cancel` fires), as on
/// Ctrl-C in Terraform.
pub(super) fn stop(server: &Server) -> pb::stop::Response {
    tracing::debug!("StopProvider: cancelling in-flight work");
    server.stop.cancel();
    pb::stop::Response {
        error: String::new(),
    }
}

/// GetResourceIdentitySchemas: the identity schema of each resource type that has one.
pub(super) fn identity_schemas(server: &Server) -> pb::get_resource_identity_schemas::Response {
    pb::get_resource_identity_schemas::Response {
        identity_schemas: server
            .resources
            .iter()
            .filter_map(|(name, t)| Some((name.to_string(), t.identity.as_ref()?.0.to_proto())))
            .collect(),
        diagnostics: vec![],
    }
}

/// GetFunctions: the signatures of the provider-defined functions.
pub(super) fn functions(server: &Server) -> pb::get_functions::Response {
    pb::get_functions::Response {
        functions: server.function_protos(),
        diagnostics: vec![],
    }
}

/// CallFunction: checks the arguments against the signature, calls the function and
/// encodes its result. Failures are function errors, not diagnostics.
pub(super) async fn call_function(
    server: &Server,
    r: pb::call_function::Request,
) -> pb::call_function::Response {
    match call(server, &r).await {
        Ok(result) => pb::call_function::Response {
            result: Some(result),
            error: None,
        },
        Err(text) => pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text,
                function_argument: None,
            }),
        },
    }
}

async fn call(server: &Server, r: &pb::call_function::Request) -> Result<pb::DynamicValue, String> {
    let first_detail = |d: Diagnostics| d.0.first().map(|x| x.detail.clone()).unwrap_or_default();
    let Some(f) = server.functions.get(r.name.as_str()) else {
        return Err(format!("This provider has no function named {:?}.", r.name));
    };
    let params = f.parameters();
    if params.len() != r.arguments.len() {
        return Err(format!(
            "{} takes {} arguments, got {}.",
            r.name,
            params.len(),
            r.arguments.len()
        ));
    }
    let args = params
        .iter()
        .zip(&r.arguments)
        .map(|((_, ty), dv)| from_proto::value(Some(dv), ty, "argument"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(first_detail)?;
    let result = f.call(args).await?;
    to_proto::value(&result, &f.return_type(), "function result").map_err(first_detail)
}

#[cfg(test)]
mod tests {
    use super::super::test_provider::P;
    use super::*;
    use crate::proto::tfplugin5::provider_server::Provider as _;
    use tonic::Request;

    #[tokio::test]
    async fn metadata_lists_types_and_capabilities() {
        let server = Server::new(P);
        let resp = server
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .unwrap()
            .into_inner();
        let names: Vec<&str> = resp
            .resources
            .iter()
            .map(|r| r.type_name.as_str())
            .collect();
        assert_eq!(names, ["test_slow"]);
        assert!(resp.diagnostics.is_empty());
        // The metadata names exactly the types the full schema describes.
        let schema = server.schema_response();
        let described: Vec<&str> = schema.resource_schemas.keys().map(String::as_str).collect();
        assert_eq!(described, names);
        assert_eq!(resp.data_sources.len(), schema.data_source_schemas.len());
        assert_eq!(
            resp.ephemeral_resources.len(),
            schema.ephemeral_resource_schemas.len()
        );
        let caps = resp.server_capabilities.unwrap();
        assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    }

    #[tokio::test]
    async fn unknown_functions_are_function_errors() {
        let server = Server::new(P);
        let resp = server
            .call_function(Request::new(pb::call_function::Request {
                name: "nope".into(),
                arguments: vec![],
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.result.is_none());
        assert!(resp.error.unwrap().text.contains("no function named"));
    }
}
