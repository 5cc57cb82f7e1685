//! `AuthManager`: owns the broker credentials, answers whether the token still works
//! (a REST profile check before every socket attempt), and records auth failures the
//! feed reports. The fuller token lifecycle (expiry schedule, renewal) grows here.

mod messages;
mod state;

use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, Context, Handler, MessageResult, ResponseActFuture, WrapFuture,
};
use chrono::Utc;

pub use messages::{
    AuthStatus, GetAuthStatus, GetCredentials, ReplaceCredentials, ReportAuthFailure,
    SetCredentials, ValidateToken,
};
pub use state::{
    classify_profile, credentials_broker, credentials_from, credentials_from_env, profile_request,
    AuthError, AuthState, ProfileRequest, TokenStatus, PROFILE_BODY_LIMIT_BYTES,
};

use crate::settings::{Broker, Credentials, UpstreamSettings};

/// Holds the credentials and the token's last known verdict.
pub struct AuthManager {
    upstream: UpstreamSettings,
    state: AuthState,
}

impl AuthManager {
    pub fn new(credentials: Credentials, upstream: UpstreamSettings) -> AuthManager {
        AuthManager {
            upstream,
            state: AuthState::new(credentials),
        }
    }

    /// The broker's verdict on `credentials` from its REST profile endpoint.
    fn check(
        &self,
        credentials: &Credentials,
    ) -> impl std::future::Future<Output = Result<TokenStatus, AuthError>> + 'static {
        let broker = self.upstream.broker;
        let request = profile_request(credentials, broker, &self.upstream.rest_url);
        let timeout = Duration::from_millis(self.upstream.connect_timeout_ms.max(1));
        async move {
            let request = request?;
            Ok(check_profile(broker, request, timeout).await)
        }
    }
}

impl Actor for AuthManager {
    type Context = Context<Self>;
}

impl actix::Supervised for AuthManager {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // Credentials and the last verdict are plain values and stay; nothing to redo.
        tracing::info!("auth manager restarted");
    }
}

crate::crash_handler!(AuthManager);

impl Handler<GetCredentials> for AuthManager {
    type Result = MessageResult<GetCredentials>;

    fn handle(&mut self, _: GetCredentials, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.credentials().clone())
    }
}

impl Handler<ValidateToken> for AuthManager {
    type Result = ResponseActFuture<Self, Result<TokenStatus, AuthError>>;

    fn handle(&mut self, _: ValidateToken, _: &mut Context<Self>) -> Self::Result {
        Box::pin(
            self.check(self.state.credentials())
                .into_actor(self)
                .map(|result, act, _| {
                    if let Ok(status) = result {
                        act.state.record_check(status, Utc::now());
                    }
                    result
                }),
        )
    }
}

impl Handler<ReportAuthFailure> for AuthManager {
    type Result = ();

    fn handle(&mut self, msg: ReportAuthFailure, _: &mut Context<Self>) {
        // The feed already logged the one operator-facing warning; this is bookkeeping.
        tracing::debug!(reason = %msg.reason, "auth failure reported");
        self.state.record_failure(msg.reason);
    }
}

impl Handler<SetCredentials> for AuthManager {
    type Result = ();

    fn handle(&mut self, msg: SetCredentials, _: &mut Context<Self>) {
        tracing::info!(credentials = ?msg.credentials, "credentials replaced");
        self.state.set_credentials(msg.credentials);
    }
}

impl Handler<ReplaceCredentials> for AuthManager {
    type Result = ResponseActFuture<Self, Result<TokenStatus, AuthError>>;

    fn handle(&mut self, msg: ReplaceCredentials, _: &mut Context<Self>) -> Self::Result {
        Box::pin(
            self.check(&msg.credentials)
                .into_actor(self)
            .map(move |result, act, _| {
                if let Ok(status) = result {
                    if !status.is_rejected() {
                        tracing::info!(credentials = ?msg.credentials, verdict = ?status, "new broker token adopted");
                        act.state.set_credentials(msg.credentials);
                        act.state.record_check(status, Utc::now());
                    }
                }
                result
            }),
        )
    }
}

impl Handler<GetAuthStatus> for AuthManager {
    type Result = MessageResult<GetAuthStatus>;

    fn handle(&mut self, _: GetAuthStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.state.status())
    }
}

/// One GET to the profile endpoint. Anything short of an HTTP answer is `Unknown`: the
/// feed then tries the socket, which gives its own verdict.
async fn check_profile(broker: Broker, request: ProfileRequest, timeout: Duration) -> TokenStatus {
    let client = awc::Client::builder()
        .max_http_version(awc::http::Version::HTTP_11)
        .timeout(timeout)
        .finish();
    let mut req = client.get(&request.url);
    for (name, value) in request.headers {
        req = req.insert_header((name, value));
    }
    let mut response = match req.send().await {
        Ok(response) => response,
        Err(e) => {
            tracing::debug!(broker = broker.as_str(), error = %e, "token pre-flight check inconclusive");
            return TokenStatus::Unknown;
        }
    };
    let status = response.status().as_u16();
    // The body only refines expired-vs-invalid; failing to read it is not a verdict.
    let body = response
        .body()
        .limit(PROFILE_BODY_LIMIT_BYTES)
        .await
        .unwrap_or_default();
    let verdict = classify_profile(broker, status, &body);
    tracing::debug!(
        broker = broker.as_str(),
        status,
        verdict = verdict.as_str(),
        "token pre-flight check"
    );
    verdict
}
