//! Entra's rules for federated identity credentials and token requests, as plain
//! functions. The provider's plan-time validation and the emulator both call these, so
//! the two cannot disagree.
