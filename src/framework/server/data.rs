//! The RPCs of objects Terraform reads but does not manage: data sources, ephemeral
//! resources (open, renew, close; never stored in state or plan), and list resources,
//! which this provider does not have.

use super::to_proto::{self, answer, failed};
use super::{with_config, Server};
use crate::codec::Value;
use crate::proto::tfplugin5 as pb;

/// ReadDataSource: the data source's result for its configuration; it must be wholly
/// known.
pub(super) async fn read_data_source(
    server: &Server,
    r: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    answer(
        async {
            let (t, config) = with_config(server.data_source(&r.type_name), r.config.as_ref())?;
            match t.imp.read(&config, &server.ctx()).await {
                (_, diags) if diags.has_errors() => Err(diags),
                (state, diags) => {
                    let state = state.unwrap_or(Value::Null);
                    let state = to_proto::known_value(&state, &t.ty, "data source result")?;
                    Ok(pb::read_data_source::Response {
                        state: Some(state),
                        diagnostics: diags.to_proto(),
                        deferred: None,
                    })
                }
            }
        }
        .await,
    )
}

/// OpenEphemeralResource: the result (never stored), when to renew it, and private bytes
/// Terraform hands back to renew and close.
pub(super) async fn open(
    server: &Server,
    r: pb::open_ephemeral_resource::Request,
) -> pb::open_ephemeral_resource::Response {
    answer(
        async {
            let (t, config) = with_config(server.ephemeral(&r.type_name), r.config.as_ref())?;
            let (opened, diags) = t.imp.open(&config, &server.ctx()).await;
            let Some(opened) = opened.filter(|_| !diags.has_errors()) else {
                return Err(diags);
            };
            let result = to_proto::known_value(&opened.result, &t.ty, "ephemeral result")?;
            Ok(pb::open_ephemeral_resource::Response {
                result: Some(result),
                renew_at: opened.renew_at.map(to_proto::timestamp),
                private: Some(opened.private),
                diagnostics: diags.to_proto(),
                deferred: None,
            })
        }
        .await,
    )
}

/// RenewEphemeralResource: extends what `open` returned, at the time it asked for.
pub(super) async fn renew(
    server: &Server,
    r: pb::renew_ephemeral_resource::Request,
) -> pb::renew_ephemeral_resource::Response {
    let t = match server.ephemeral(&r.type_name) {
        Ok(t) => t,
        Err(d) => return failed(d),
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
    failed(d)
}
