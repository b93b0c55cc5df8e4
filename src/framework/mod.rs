//! A small provider framework over tfplugin5: typed schemas, diagnostics with attribute
//! paths, traits for resources, data sources, ephemeral resources and functions, and the
//! dispatch of every RPC onto them.
//!
//! Provider code implements [`ProviderDef`] and the per-kind traits in [`traits`];
//! [`Server`] turns that into the gRPC service Terraform talks to, applying the
//! planning rules of [`plan`].

#![warn(missing_docs)]

pub mod context;
pub mod declaration;
pub mod diag;
pub mod identity;
pub mod list;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod server;
pub mod traits;

pub use context::{Ctx, ProviderData};
pub use declaration::Declaration;
pub use diag::{AttrPath, Diagnostic, Diagnostics};
pub use identity::{IdentityAttribute, IdentitySchema};
pub use list::{ListRequest, ListResource, ListResult, ListResults};
pub use resource::{
    ApplyResponse, CreateRequest, ImportRequest, ImportResponse, ImportTarget, Imported,
    MoveSource, Moved, PlanRequest, ReadRequest, ReadResponse, Resource, UpdateRequest,
};
pub use schema::{Attribute, Block, Schema};
pub use server::Server;
pub use traits::{
    DataSource, EphemeralResource, Function, OpenRequest, OpenResponse, Opened, ProviderDef,
    ReadDataRequest, ReadDataResponse, RenewResponse,
};
