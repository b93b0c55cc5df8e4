//! go-plugin transport: handshake, AutoMTLS, gRPC side services and the server loop.
