//! A provider for the server's tests: one resource whose create waits for Stop.

use std::sync::Arc;

use crate::codec::{self, Type, Value};
use crate::framework::{
    ApplyResponse, Attribute, Block, CreateRequest, Ctx, Declaration, Diagnostics, ImportRequest,
    ImportResponse, ProviderData, ProviderDef, ReadRequest, ReadResponse, Resource, Schema,
    UpdateRequest,
};
use crate::proto::tfplugin5 as pb;

pub(super) struct Slow;

#[async_trait::async_trait]
impl Resource for Slow {
    fn declaration(&self) -> Declaration {
        let block = Block::new("t").attribute(Attribute::string("id").computed().describe("d"));
        Declaration::unchecked("test_slow", Schema::new(0, block))
    }
    async fn create(&self, _req: CreateRequest<'_>, ctx: &Ctx) -> ApplyResponse {
        // Waits for Terraform's Stop, as a long Graph retry loop would.
        ctx.cancel.cancelled().await;
        ApplyResponse::failed(Diagnostics::from_error("cancelled", "stopped by Terraform"))
    }
    async fn read(&self, req: ReadRequest<'_>, _ctx: &Ctx) -> ReadResponse {
        ReadResponse {
            state: Some(req.state.clone()),
            ..ReadResponse::default()
        }
    }
    async fn update(&self, req: UpdateRequest<'_>, _ctx: &Ctx) -> ApplyResponse {
        ApplyResponse {
            state: Some(req.planned.clone()),
            ..ApplyResponse::default()
        }
    }
    async fn delete(&self, _p: &Value, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }
    async fn import(&self, _req: ImportRequest<'_>, _ctx: &Ctx) -> ImportResponse {
        ImportResponse::default()
    }
}

pub(super) struct P;

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

pub(super) fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: codec::msgpack::encode(v, ty).unwrap(),
        json: vec![],
    })
}
