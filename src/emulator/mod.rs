//! `entra-emulator`: a local stand-in for Entra sign-in, Microsoft Graph's federated
//! identity credential API and the managed identity endpoints.
