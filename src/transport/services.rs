//! go-plugin's side services: controller (Shutdown), stdio, broker, and gRPC health.

use std::pin::Pin;

use futures_util::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::proto::health::{
    health_check_response::ServingStatus, health_server, HealthCheckRequest, HealthCheckResponse,
};
use crate::proto::plugin::{
    grpc_broker_server, grpc_controller_server, grpc_stdio_server, ConnInfo, Empty, StdioData,
};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A stream that carries no message and ends as unavailable, saying `why`, once `until`
/// completes.
fn empty_until<T: 'static>(
    until: impl std::future::Future<Output = ()> + Send + 'static,
    why: &'static str,
) -> Response<BoxStream<T>> {
    let stream = futures_util::stream::once(async move {
        until.await;
        Err(Status::unavailable(why))
    });
    Response::new(Box::pin(stream))
}

/// `plugin.GRPCController`: Terraform's `Kill()` calls Shutdown, then waits 2 s before a
/// SIGKILL. Replying first and exiting right after keeps that clean.
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    pub fn new(shutdown: CancellationToken) -> Controller {
        Controller { shutdown }
    }
}

#[tonic::async_trait]
impl grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by the client");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: our logs go to stderr directly, so the stream carries nothing; it
/// stays open until shutdown so the client does not log a warning.
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    pub fn new(shutdown: CancellationToken) -> Stdio {
        Stdio { shutdown }
    }
}

#[tonic::async_trait]
impl grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<BoxStream<StdioData>>, Status> {
        let shutdown = self.shutdown.clone();
        let closed = async move { shutdown.cancelled().await };
        Ok(empty_until(closed, "plugin shutting down"))
    }
}

/// `plugin.GRPCBroker`: Terraform starts the stream but never uses it.
pub struct Broker;

#[tonic::async_trait]
impl grpc_broker_server::GrpcBroker for Broker {
    async fn start_stream(
        &self,
        request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<BoxStream<ConnInfo>>, Status> {
        let mut incoming = request.into_inner();
        // Drain until the client closes; we never offer sub-connections.
        let closed = async move { while let Ok(Some(_)) = incoming.message().await {} };
        Ok(empty_until(closed, "broker closed"))
    }
}

/// `grpc.health.v1.Health`: go-plugin's service name is "plugin".
pub struct Health;

#[tonic::async_trait]
impl health_server::Health for Health {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = request.into_inner().service;
        let status = if service.is_empty() || service == "plugin" {
            ServingStatus::Serving
        } else {
            ServingStatus::ServiceUnknown
        };
        Ok(Response::new(HealthCheckResponse {
            status: status as i32,
        }))
    }

    async fn watch(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<BoxStream<HealthCheckResponse>>, Status> {
        Err(Status::unimplemented("watch is not supported"))
    }
}
