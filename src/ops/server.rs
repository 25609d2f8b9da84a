//! The operator's endpoint on its own listener: `GET /healthz` for load
//! balancers and systemd watchdogs, `GET /metrics` for Prometheus.

use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::Ops;
use crate::search::Engine;
use crate::shutdown::{self, Stop};

#[derive(Clone)]
struct Endpoint {
    ops: Arc<Ops>,
    engine: Arc<ArcSwap<Engine>>,
}

/// Binds `addr` now (so a taken port fails the start, not a later request).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves `/healthz` and `/metrics` on `listener` until `stop` turns true.
pub fn spawn(
    listener: TcpListener,
    ops: Arc<Ops>,
    engine: Arc<ArcSwap<Engine>>,
    stop: Stop,
) -> JoinHandle<()> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(Endpoint { ops, engine });
    spawn_router(listener, app, stop, "metrics")
}

/// Runs `app` on `listener` until `stop` turns true; requests in progress
/// finish, new connections are refused.
pub fn spawn_router(
    listener: TcpListener,
    app: Router,
    stop: Stop,
    name: &'static str,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let shutdown = shutdown::stopped(stop);
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %err, listener = name, "HTTP listener failed");
        }
    })
}

async fn healthz(State(e): State<Endpoint>) -> Response {
    if !e.ops.is_ready() {
        let body = serde_json::json!({ "status": "starting" });
        return (StatusCode::SERVICE_UNAVAILABLE, json(body)).into_response();
    }
    let engine = e.engine.load();
    let index = engine.index();
    let body = serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "articles": index.articles.len(),
        "paragraphs": index.passages.len(),
        "index_age_secs": index.built_at.elapsed().as_secs(),
    });
    (StatusCode::OK, json(body)).into_response()
}

fn json(body: serde_json::Value) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

async fn metrics(State(e): State<Endpoint>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        e.ops.metrics.render(),
    )
}
