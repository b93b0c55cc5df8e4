//! The Entra side: the provider's resolved settings, signing in (one type per method,
//! the first configured one chosen), the Microsoft Graph client for federated identity
//! credentials, managed identity sources, the token exchange, and the retry policies
//! and deadlines every request runs under.

pub mod aadsts;
pub mod diagnose;
pub mod exchange;
pub mod graph;
mod graph_error;
pub mod http;
pub mod ids;
pub mod jwt;
pub mod managed_identity;
pub mod queries;
pub mod retry;
pub mod secret;
pub mod service_principals;
pub mod settings;
pub mod signin;
pub mod token;
pub mod token_endpoint;

pub use secret::Secret;
pub use settings::Settings;
pub use token::AccessToken;
