//! The list resource RPCs: ValidateListResourceConfig and the ListResource stream.

use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{from_proto, to_proto, Server};
use crate::codec::Type;
use crate::framework::diag::Diagnostics;
use crate::framework::list::{ListRequest, ListResult, ListResults};
use crate::proto::tfplugin5 as pb;

type Events = BoxStream<'static, Result<pb::list_resource::Event, tonic::Status>>;

/// ListResource: the list resource runs in a task of its own and sends what it finds;
/// each result becomes one event as soon as it arrives, and the diagnostics the listing
/// ends with become a last event. Failures before the listing starts are one event.
pub(super) fn list(server: &Server, r: pb::list_resource::Request) -> Events {
    match start(server, r) {
        Ok(events) => events,
        Err(d) => one_event(pb::list_resource::Event {
            diagnostic: d.to_proto(),
            ..Default::default()
        }),
    }
}

fn start(server: &Server, r: pb::list_resource::Request) -> Result<Events, Diagnostics> {
    let list = server.list_resource(&r.type_name)?;
    let resource = server.resource(&r.type_name)?;
    let Some(identity_type) = resource.identity_type().cloned() else {
        return Err(Diagnostics::from_error(
            "List resource without identity",
            format!(
                "{} has no resource identity, which every listed object needs; this is a bug in the provider.",
                r.type_name
            ),
        ));
    };
    let config = from_proto::value(r.config.as_ref(), &list.ty, "list configuration")?;
    let limit = usize::try_from(r.limit.max(0)).unwrap_or(usize::MAX);
    let (results, rx) = ListResults::channel(limit);
    let imp = list.imp.clone();
    let ctx = server.ctx();
    let include_resource_object = r.include_resource_object;
    let task = tokio::spawn(async move {
        let req = ListRequest {
            config: &config,
            include_resource_object,
            limit,
        };
        imp.list(req, &results, &ctx).await
    });
    let types = EventTypes {
        identity: identity_type,
        resource: resource.ty.clone(),
    };
    Ok(stream_events(rx, task, types))
}

/// The types results are encoded with.
struct EventTypes {
    identity: Type,
    resource: Type,
}

impl EventTypes {
    fn event(&self, r: ListResult) -> pb::list_resource::Event {
        let encoded =
            to_proto::value(&r.identity, &self.identity, "listed identity").and_then(|id| {
                let object = r
                    .resource_object
                    .map(|o| to_proto::known_value(&o, &self.resource, "listed object"))
                    .transpose()?;
                Ok((id, object))
            });
        match encoded {
            Ok((identity, resource_object)) => pb::list_resource::Event {
                identity: Some(pb::ResourceIdentityData {
                    identity_data: Some(identity),
                }),
                display_name: r.display_name,
                resource_object,
                diagnostic: vec![],
            },
            Err(d) => pb::list_resource::Event {
                diagnostic: d.to_proto(),
                ..Default::default()
            },
        }
    }
}

/// Events as results arrive, then one with the listing's diagnostics (if any).
fn stream_events(
    rx: mpsc::Receiver<ListResult>,
    task: JoinHandle<Diagnostics>,
    types: EventTypes,
) -> Events {
    let results = stream::unfold((rx, types), |(mut rx, types)| async move {
        let r = rx.recv().await?;
        let event = types.event(r);
        Some((Ok(event), (rx, types)))
    });
    let end = stream::once(async move {
        let diagnostics = task.await.unwrap_or_else(|e| {
            Diagnostics::from_error(
                "Listing failed",
                format!("The list resource's task ended abnormally: {e}"),
            )
        });
        diagnostics
    })
    .filter_map(|d: Diagnostics| async move {
        (!d.is_empty()).then(|| {
            Ok(pb::list_resource::Event {
                diagnostic: d.to_proto(),
                ..Default::default()
            })
        })
    });
    results.chain(end).boxed()
}

fn one_event(event: pb::list_resource::Event) -> Events {
    stream::iter([Ok(event)]).boxed()
}

/// ValidateListResourceConfig: the `config` block's static checks.
pub(super) fn validate(
    server: &Server,
    r: pb::validate_list_resource_config::Request,
) -> pb::validate_list_resource_config::Response {
    server.validate_config(server.list_resource(&r.type_name), r.config.as_ref())
}
