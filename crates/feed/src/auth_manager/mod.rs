//! `AuthManager`: owns the broker credentials and the token lifecycle — a REST profile
//! check before every socket attempt and at 08:50 IST, the broker's expiry rule (Kite
//! 06:00 IST, Dhan JWT `exp`), auth failures the feed reports, and the hot-swap of a new
//! token from `POST /api/auth/token` or a watched credentials file. What each broker
//! asks and answers is in `upstream::<broker>::auth`.

mod messages;
mod state;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use actix::{
    Actor, ActorFutureExt, AsyncContext, Context, Handler, MessageResult, Recipient,
    ResponseActFuture, WrapFuture,
};
use chrono::Utc;

pub use messages::{
    AuthStatus, CheckTokenNow, GetAuthStatus, GetCredentials, NotifyOnNewToken, ReplaceCredentials,
    ReportAuthFailure, SetCredentials, TokenAdopted, ValidateToken,
};
pub use state::{
    credentials_broker, credentials_from, credentials_from_env, credentials_from_text,
    profile_request, AuthError, AuthState, TokenStatus, PROFILE_BODY_LIMIT_BYTES,
};
// The broker-specific halves live with each broker; these paths stay for callers.
pub use crate::upstream::{classify_profile, token_expiry, ProfileRequest};

use crate::settings::{Broker, Credentials, UpstreamSettings};

/// How often the expiry rule and the credentials file are looked at.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
const TOKEN_FIX: &str =
    "POST a new token to /api/auth/token or write it to the credentials file (upstream.credentials_file)";

/// Holds the credentials and the token's last known verdict.
pub struct AuthManager {
    upstream: UpstreamSettings,
    state: AuthState,
    /// Watched for a new token (`upstream.credentials_file`).
    credentials_file: Option<PathBuf>,
    /// Modification time of the file when last read; a change means a new token.
    file_seen: Option<SystemTime>,
    /// Told to reconnect when a new token is adopted.
    followers: Vec<Recipient<TokenAdopted>>,
}

impl AuthManager {
    pub fn new(credentials: Credentials, upstream: UpstreamSettings) -> AuthManager {
        AuthManager {
            upstream,
            state: AuthState::new(credentials, Utc::now()),
            credentials_file: None,
            file_seen: None,
            followers: Vec::new(),
        }
    }

    /// Watch `path` for new credentials (its current contents are the ones in use).
    pub fn with_credentials_file(mut self, path: PathBuf) -> AuthManager {
        self.file_seen = modified(&path);
        self.credentials_file = Some(path);
        self
    }

    /// The file changed: read it and, if it holds new credentials, adopt them the same
    /// way as `POST /api/auth/token` does.
    fn poll_credentials_file(&mut self, ctx: &mut Context<Self>) {
        let Some(path) = self.credentials_file.clone() else {
            return;
        };
        let seen = modified(&path);
        if seen.is_none() || seen == self.file_seen {
            return;
        }
        self.file_seen = seen;
        let broker = credentials_broker(self.state.credentials());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "credentials file unreadable; keeping the current token — check its permissions");
                return;
            }
        };
        match credentials_from_text(broker, &text) {
            Ok(credentials) if credentials != *self.state.credentials() => {
                tracing::info!(path = %path.display(), "credentials file changed; validating the new token");
                ctx.notify(ReplaceCredentials { credentials });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "credentials file incomplete; keeping the current token")
            }
        }
    }

    /// The broker's expiry rule fired: one warning with the fix, then the token counts as
    /// expired (the feed will be refused anyway; this says why before it is).
    fn check_expiry(&mut self) {
        let now = Utc::now();
        if self.state.expiry_passed(now) {
            let at = self
                .state
                .expires_at()
                .map(mandi_domain::time::ist_minute)
                .unwrap_or_default();
            tracing::warn!(expired_at = %at, fix = TOKEN_FIX, "broker token expired by the broker's rule");
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

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(WATCH_INTERVAL, |this, ctx| {
            this.check_expiry();
            this.poll_credentials_file(ctx);
        });
    }
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl actix::Supervised for AuthManager {
    fn restarting(&mut self, _: &mut Context<Self>) {
        // Credentials and the last verdict are plain values and stay; nothing to redo.
        tracing::info!("auth manager restarted");
    }
}

mandi_supervision::crash_handler!(AuthManager);

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
        self.state.set_credentials(msg.credentials, Utc::now());
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
                        act.state.set_credentials(msg.credentials, Utc::now());
                        act.state.record_check(status, Utc::now());
                        for follower in &act.followers {
                            follower.do_send(TokenAdopted {
                                reason: "new broker token adopted; reconnecting with it".into(),
                            });
                        }
                    } else {
                        tracing::warn!(verdict = status.as_str(), fix = TOKEN_FIX, "new broker token refused by the broker; keeping the previous one");
                    }
                }
                result
            }),
        )
    }
}

impl Handler<NotifyOnNewToken> for AuthManager {
    type Result = ();

    fn handle(&mut self, msg: NotifyOnNewToken, _: &mut Context<Self>) {
        self.followers.push(msg.follower);
    }
}

impl Handler<CheckTokenNow> for AuthManager {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: CheckTokenNow, _: &mut Context<Self>) -> Self::Result {
        Box::pin(
            self.check(self.state.credentials())
                .into_actor(self)
                .map(|result, act, _| {
                    let status = match result {
                        Ok(status) => status,
                        Err(e) => {
                            tracing::warn!(error = %e, "pre-market token check could not run");
                            return;
                        }
                    };
                    act.state.record_check(status, Utc::now());
                    let expires_at = act.state.expires_at().map(mandi_domain::time::ist_minute);
                    if status.is_rejected() {
                        tracing::warn!(
                            verdict = status.as_str(),
                            fix = TOKEN_FIX,
                            "pre-market token check: the broker refuses the token"
                        );
                    } else {
                        tracing::info!(
                            verdict = status.as_str(),
                            expires_at = expires_at.as_deref().unwrap_or("unknown"),
                            "pre-market token check"
                        );
                    }
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
