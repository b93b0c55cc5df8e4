//! The Entra side: clouds and their endpoints, the Microsoft Graph client for federated
//! identity credentials, credential sources (one type per sign-in method, chained in
//! SPEC §2's order), managed identity sources and the token exchange.

pub mod cloud;
pub mod secret;
pub mod token;

pub use secret::Secret;
pub use token::AccessToken;
