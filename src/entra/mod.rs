//! The Entra side: clouds and their endpoints, the Microsoft Graph client for federated
//! identity credentials, credential sources (one type per sign-in method, chained in
//! SPEC §2's order), managed identity sources and the token exchange.

pub mod aadsts;
pub mod credentials;
pub mod diagnose;
pub mod exchange;
pub mod graph;
pub mod http;
pub mod jwt;
pub mod managed_identity;
pub mod retry;
pub mod secret;
pub mod token;
pub mod token_endpoint;

pub use secret::Secret;
pub use token::AccessToken;
