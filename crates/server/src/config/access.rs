//! Who may reach this server, from the config and the environment: client API keys
//! (`MANDI_API_KEYS`, `server.api_keys_file`), the admin token (`MANDI_ADMIN_TOKEN`),
//! allowed origins and hosts, trusted proxies. `check-config` and `run` both build it, so
//! what one refuses the other refuses too, naming the key.

use std::net::IpAddr;
use std::time::Duration;

use crate::security::{ClientKeys, LoginSessions, Policy, Security, MIN_KEY_LEN};

use super::schema::MandiConfig;
use super::ConfigError;

/// The environment variables read here.
pub const API_KEYS_VAR: &str = "MANDI_API_KEYS";
pub const ADMIN_TOKEN_VAR: &str = "MANDI_ADMIN_TOKEN";

impl MandiConfig {
    /// The access settings; `env` looks a variable up (`std::env::var` in the binary).
    pub fn security(&self, env: impl Fn(&str) -> Option<String>) -> Result<Security, ConfigError> {
        let server = &self.server;
        let mut keys = ClientKeys::default();
        if let Some(text) = env(API_KEYS_VAR) {
            keys.add(&text, API_KEYS_VAR)
                .map_err(|e| ConfigError::new(API_KEYS_VAR, e.to_string(), key_fix()))?;
        }
        let file = server.api_keys_file.trim();
        if !file.is_empty() {
            let text = std::fs::read_to_string(file).map_err(|e| {
                ConfigError::new(
                    "server.api_keys_file",
                    format!("{file} is not readable: {e}"),
                    "point it at a readable file of keys, or leave it empty",
                )
            })?;
            keys.add(&text, file)
                .map_err(|e| ConfigError::new("server.api_keys_file", e.to_string(), key_fix()))?;
        }
        if keys.is_empty() && !is_loopback_host(&server.host) {
            return Err(ConfigError::new(
                "server.host",
                format!(
                    "{} is reachable from other machines and no API keys are set",
                    server.host
                ),
                format!(
                    "set {API_KEYS_VAR} (e.g. trade:<a random 32-character key>) or bind 127.0.0.1"
                ),
            ));
        }
        let admin_token = env(ADMIN_TOKEN_VAR).filter(|t| !t.is_empty());
        if admin_token.as_ref().is_some_and(|t| t.len() < MIN_KEY_LEN) {
            return Err(ConfigError::new(
                ADMIN_TOKEN_VAR,
                format!("the token is shorter than {MIN_KEY_LEN} characters"),
                "use a long random token, e.g. the output of `openssl rand -hex 32`",
            ));
        }
        let trusted_proxies = server
            .trusted_proxies
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.trim().parse::<IpAddr>().map_err(|_| {
                    ConfigError::new(
                        format!("server.trusted_proxies[{i}]"),
                        format!("\"{p}\" is not an IP address"),
                        "list the proxies' addresses, e.g. \"127.0.0.1\"",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let policy = Policy {
            keys,
            admin_token,
            allowed_origins: server.allowed_origins.clone(),
            cors_origins: server.cors_origins.clone(),
            allowed_hosts: server.allowed_hosts.clone(),
        };
        let ttl = Duration::from_secs(server.session_ttl_hours.saturating_mul(3600));
        Ok(Security::new(
            policy,
            LoginSessions::new(ttl),
            trusted_proxies,
        ))
    }
}

fn key_fix() -> &'static str {
    "give entries as trade:KEY or read:KEY, keys of 16 or more characters without spaces"
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://host[:port]` and nothing else: what a browser sends as `Origin`.
pub fn check_origin_list(key: &str, list: &[String]) -> Result<(), ConfigError> {
    for (i, origin) in list.iter().enumerate() {
        let ok = url::Url::parse(origin).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.path() == "/"
                && !origin.trim_end_matches('/').ends_with('/')
                && u.query().is_none()
                && u.username().is_empty()
        }) && origin.matches('/').count() <= 3;
        if !ok {
            return Err(ConfigError::new(
                format!("{key}[{i}]"),
                format!("\"{origin}\" is not an origin"),
                "give a full origin like https://terminal.example.com (no path, no \"*\")",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(overrides: &[(&str, &str)]) -> Result<MandiConfig, ConfigError> {
        crate::config::load(
            None,
            overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn a_wildcard_cors_origin_names_the_key() {
        let err = cfg(&[("MANDI__SERVER__CORS_ORIGINS", "*")]).expect_err("refused");
        assert_eq!(err.key, "server.cors_origins[0]");
        let err = cfg(&[("MANDI__SERVER__ALLOWED_ORIGINS", "https://a.example/path")])
            .expect_err("refused");
        assert_eq!(err.key, "server.allowed_origins[0]");
        assert!(cfg(&[("MANDI__SERVER__ALLOWED_ORIGINS", "https://a.example:8443")]).is_ok());
    }

    #[test]
    fn a_public_bind_without_keys_is_refused_naming_the_fix() {
        let c = cfg(&[("MANDI__SERVER__HOST", "0.0.0.0")]).expect("valid file");
        let err = c.security(|_| None).expect_err("refused");
        assert_eq!(err.key, "server.host");
        assert!(err.fix.contains(API_KEYS_VAR), "{err}");
        let keyed = c
            .security(|v| (v == API_KEYS_VAR).then(|| "trade:0123456789abcdef".to_string()))
            .expect("keys make it safe");
        assert_eq!(keyed.policy.keys.len(), 1);
    }

    #[test]
    fn bad_keys_and_short_admin_tokens_name_their_variable() {
        let c = cfg(&[]).expect("valid");
        let err = c
            .security(|v| (v == API_KEYS_VAR).then(|| "short".to_string()))
            .expect_err("refused");
        assert_eq!(err.key, API_KEYS_VAR);
        let err = c
            .security(|v| (v == ADMIN_TOKEN_VAR).then(|| "short".to_string()))
            .expect_err("refused");
        assert_eq!(err.key, ADMIN_TOKEN_VAR);
    }

    #[test]
    fn trusted_proxies_must_be_addresses() {
        let c = cfg(&[("MANDI__SERVER__TRUSTED_PROXIES", "127.0.0.1,nginx")]).expect("valid");
        let err = c.security(|_| None).expect_err("refused");
        assert_eq!(err.key, "server.trusted_proxies[1]");
    }
}
