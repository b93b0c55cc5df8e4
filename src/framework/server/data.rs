//! The RPCs of objects Terraform reads but does not manage: data sources, ephemeral
//! resources (open, renew, close; never stored in state or plan), and list resources,
//! which this provider does not have.

use super::{to_proto, with_config, Server};
use crate::codec::Value;
use crate::framework::diag::Diagnostics;
use crate::proto::tfplugin5 as pb;

/// ValidateDataSourceConfig: the data source's static checks of its configuration.
pub(super) fn validate_data_source(
    server: &Server,
    r: pb::validate_data_source_config::Request,
) -> pb::validate_data_source_config::Response {
    tracing::debug!(type_name = %r.type_name, "ValidateDataSourceConfig");
    let diags = server.validate_config(
        server.data_source(&r.type_name),
        r.config.as_ref(),
        |t, c, ctx| t.validate(c, ctx),
    );
    pb::validate_data_source_config::Response {
        diagnostics: diags.to_proto(),
    }
}

/// ReadDataSource: the data source's result for its configuration; it must be wholly
/// known.
pub(super) async fn read_data_source(
    server: &Server,
    r: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    tracing::debug!(type_name = %r.type_name, "ReadDataSource");
    let result = async {
        let (t, config) = with_config(server.data_source(&r.type_name), r.config.as_ref())?;
        let (state, diags) = t.imp.read(&config, &server.ctx()).await;
        if diags.has_errors() {
            return Err(diags);
        }
        let state = state.unwrap_or(Value::Null);
        let state = to_proto::known_value(&state, &t.ty, "data source result")?;
        Ok::<_, Diagnostics>((state, diags))
    }
    .await;
    match result {
        Ok((state, d)) => pb::read_data_source::Response {
            state: Some(state),
            diagnostics: d.to_proto(),
            deferred: None,
        },
        Err(d) => pb::read_data_source::Response {
            diagnostics: d.to_proto(),
            ..Default::default()
        },
    }
}

/// ValidateEphemeralResourceConfig: the ephemeral resource's static checks.
pub(super) fn validate_ephemeral(
    server: &Server,
    r: pb::validate_ephemeral_resource_config::Request,
) -> pb::validate_ephemeral_resource_config::Response {
    tracing::debug!(type_name = %r.type_name, "ValidateEphemeralResourceConfig");
    let diags = server.validate_config(
        server.ephemeral(&r.type_name),
        r.config.as_ref(),
        |t, c, ctx| t.validate(c, ctx),
    );
    pb::validate_ephemeral_resource_config::Response {
        diagnostics: diags.to_proto(),
    }
}

/// OpenEphemeralResource: the result (never stored), when to renew it, and private bytes
/// Terraform hands back to renew and close.
pub(super) async fn open(
    server: &Server,
    r: pb::open_ephemeral_resource::Request,
) -> pb::open_ephemeral_resource::Response {
    tracing::debug!(type_name = %r.type_name, "OpenEphemeralResource");
    let result = async {
        let (t, config) = with_config(server.ephemeral(&r.type_name), r.config.as_ref())?;
        let (opened, diags) = t.imp.open(&config, &server.ctx()).await;
        let Some(opened) = opened.filter(|_| !diags.has_errors()) else {
            return Err(diags);
        };
        let result = to_proto::known_value(&opened.result, &t.ty, "ephemeral result")?;
        Ok::<_, Diagnostics>((result, opened.renew_at, opened.private, diags))
    }
    .await;
    match result {
        Ok((result, renew_at, private, d)) => pb::open_ephemeral_resource::Response {
            diagnostics: d.to_proto(),
            renew_at: renew_at.map(to_proto::timestamp),
            result: Some(result),
            private: Some(private),
            deferred: None,
        },
        Err(d) => pb::open_ephemeral_resource::Response {
            diagnostics: d.to_proto(),
            ..Default::default()
        },
    }
}

/// RenewEphemeralResource: extends what `open` returned, at the time it asked for.
pub(super) async fn renew(
    server: &Server,
    r: pb::renew_ephemeral_resource::Request,
) -> pb::renew_ephemeral_resource::Response {
    let t = match server.ephemeral(&r.type_name) {
        Ok(t) => t,
        Err(d) => {
            return pb::renew_ephemeral_resource::Response {
                diagnostics: d.to_proto(),
                ..Default::default()
            }
        }
    };
    let private = r.private.unwrap_or_default();
    let (renew_at, d) = t.imp.renew(&private, &server.ctx()).await;
    pb::renew_ephemeral_resource::Response {
        diagnostics: d.to_proto(),
        renew_at: renew_at.map(to_proto::timestamp),
        private: Some(private),
    }
}

/// CloseEphemeralResource: releases what `open` acquired.
pub(super) async fn close(
    server: &Server,
    r: pb::close_ephemeral_resource::Request,
) -> pb::close_ephemeral_resource::Response {
    let d = match server.ephemeral(&r.type_name) {
        Ok(t) => {
            t.imp
                .close(&r.private.unwrap_or_default(), &server.ctx())
                .await
        }
        Err(d) => d,
    };
    pb::close_ephemeral_resource::Response {
        diagnostics: d.to_proto(),
    }
}

/// ListResource: there are no list resources; one event says so.
pub(super) fn list(r: pb::list_resource::Request) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: super::unknown_type("list resource", &r.type_name).to_proto(),
        ..Default::default()
    }
}

/// ValidateListResourceConfig: there are no list resources.
pub(super) fn validate_list(
    r: pb::validate_list_resource_config::Request,
) -> pb::validate_list_resource_config::Response {
    pb::validate_list_resource_config::Response {
        diagnostics: super::unknown_type("list resource", &r.type_name).to_proto(),
    }
}
