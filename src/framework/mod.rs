//! A small provider framework over tfplugin5: typed schemas, diagnostics with attribute
//! paths, traits for resources, data sources, ephemeral resources and functions, and the
//! dispatch of every RPC onto them.

pub mod server;

pub use server::Server;
