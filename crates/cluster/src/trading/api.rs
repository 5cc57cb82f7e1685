//! The trading REST calls of nodes that do not trade, carried to the trading node over
//! NATS request and reply: [`forward`] on the node a client called, [`serve`] on the
//! trading node, which answers each call exactly as its own HTTP API would. The caller
//! was already authenticated by the node it called; NATS is the cluster's own network.

use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_nats::RequestErrorKind;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::TradingCounters;
use crate::link::Backplane;

/// How long a forwarded call waits for the trading node (an order is answered once its
/// journal row is committed: milliseconds).
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// One HTTP call, as the node that received it saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    /// Without the `?`; empty when there is none.
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub content_type: Option<String>,
    /// The body, as text (the trading API takes JSON only).
    #[serde(default)]
    pub body: String,
}

/// The trading node's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse {
    pub status: u16,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub body: String,
}

impl ApiResponse {
    /// A JSON error in the API's usual shape.
    pub fn error(status: u16, code: &str, message: &str) -> ApiResponse {
        ApiResponse {
            status,
            content_type: Some("application/json".into()),
            body: serde_json::json!({"error": code, "message": message}).to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("no node trades: set cluster.trading_node to the cluster.node of one edge")]
    NobodyTrades,
    #[error("the trading node {node} is not running (nothing answers on NATS): start it, or point cluster.trading_node at a running edge")]
    NotRunning { node: String },
    #[error("the trading node {node} did not answer within {secs} s; retry (it may be restarting)", secs = FORWARD_TIMEOUT.as_secs())]
    TimedOut { node: String },
    #[error("the trading node {node} could not be reached over NATS: {reason}")]
    Backplane { node: String, reason: String },
}

/// Send `request` to the trading node and wait for its answer.
pub async fn forward(
    backplane: &Backplane,
    counters: &TradingCounters,
    request: &ApiRequest,
) -> Result<ApiResponse, ForwardError> {
    let node = backplane.settings.trading_node.clone();
    if node.is_empty() {
        return Err(ForwardError::NobodyTrades);
    }
    counters.api_forwarded.fetch_add(1, Ordering::Relaxed);
    let failed = |e: ForwardError| {
        counters.api_failed.fetch_add(1, Ordering::Relaxed);
        e
    };
    let payload = serde_json::to_vec(request).map_err(|e| {
        failed(ForwardError::Backplane {
            node: node.clone(),
            reason: e.to_string(),
        })
    })?;
    let subject = backplane.settings.trading_api_subject();
    let asked = backplane.client.request(subject, payload.into());
    let reply = match tokio::time::timeout(FORWARD_TIMEOUT, asked).await {
        Err(_) => return Err(failed(ForwardError::TimedOut { node })),
        Ok(Err(e)) => {
            return Err(failed(match e.kind() {
                RequestErrorKind::NoResponders => ForwardError::NotRunning { node },
                RequestErrorKind::TimedOut => ForwardError::TimedOut { node },
                RequestErrorKind::Other => ForwardError::Backplane {
                    node,
                    reason: e.to_string(),
                },
            }))
        }
        Ok(Ok(reply)) => reply,
    };
    serde_json::from_slice(&reply.payload).map_err(|e| {
        failed(ForwardError::Backplane {
            node,
            reason: format!("unreadable answer: {e}"),
        })
    })
}

/// On the trading node: answer every forwarded call with `handler`, each in its own
/// task, until NATS drops the subscription. Runs on the current actix arbiter, so the
/// handler may hold what is not `Send` (an HTTP service).
pub async fn serve<F, Fut>(backplane: Backplane, counters: Arc<TradingCounters>, handler: F)
where
    F: Fn(ApiRequest) -> Fut + 'static,
    Fut: Future<Output = ApiResponse> + 'static,
{
    let subject = backplane.settings.trading_api_subject();
    let mut sub = match backplane.client.subscribe(subject.clone()).await {
        Ok(sub) => sub,
        Err(e) => {
            tracing::error!(subject, error = %e, "cannot take the forwarded trading API: other nodes' clients cannot trade; restart this node once NATS is back");
            return;
        }
    };
    tracing::info!(
        subject,
        "trading node: answering the other nodes' trading API"
    );
    let handler = Rc::new(handler);
    while let Some(msg) = sub.next().await {
        let Some(reply) = msg.reply else { continue };
        let (client, handler, counters) =
            (backplane.client.clone(), handler.clone(), counters.clone());
        actix::spawn(async move {
            let response = match serde_json::from_slice::<ApiRequest>(&msg.payload) {
                Ok(request) => handler(request).await,
                Err(e) => ApiResponse::error(
                    400,
                    "bad_forward",
                    &format!("not a forwarded API call: {e}"),
                ),
            };
            counters.api_served.fetch_add(1, Ordering::Relaxed);
            match serde_json::to_vec(&response) {
                Ok(body) => {
                    if let Err(e) = client.publish(reply, body.into()).await {
                        tracing::warn!(error = %e, "a forwarded trading call's answer was not sent; its caller gets a timeout");
                    }
                }
                Err(e) => tracing::error!(error = %e, "a trading answer is not encodable"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_answers_keep_every_field_across_the_wire() {
        let call = ApiRequest {
            method: "POST".into(),
            path: "/api/orders".into(),
            query: String::new(),
            content_type: Some("application/json".into()),
            body: r#"{"symbol":"NIFTY","side":"BUY","lots":1}"#.into(),
        };
        let back: ApiRequest =
            serde_json::from_slice(&serde_json::to_vec(&call).expect("json")).expect("json");
        assert_eq!(back, call);
        let answer = ApiResponse::error(503, "unavailable", "restarting");
        let back: ApiResponse =
            serde_json::from_slice(&serde_json::to_vec(&answer).expect("json")).expect("json");
        assert_eq!(back.status, 503);
        let body: serde_json::Value = serde_json::from_str(&back.body).expect("json");
        assert_eq!(body["error"], "unavailable");
    }
}
