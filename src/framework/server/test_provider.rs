//! A provider for the server's tests: one resource whose create waits for Stop.

use std::sync::Arc;

use crate::codec::{self, Type, Value};
use crate::framework::{
    Attribute, Block, Ctx, Declaration, Diagnostics, ProviderData, ProviderDef, Resource, Schema,
};
use crate::proto::tfplugin5 as pb;

pub(super) struct Slow;

#[async_trait::async_trait]
impl Resource for Slow {
    fn declaration(&self) -> Declaration {
        let block = Block::new("t").attribute(Attribute::string("id").computed().describe("d"));
        Declaration::unchecked("test_slow", Schema::new(0, block))
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
