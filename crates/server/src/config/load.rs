//! Layering: the embedded default, an optional file or directory, then `MANDI__*`
//! environment variables. Returns a typed config or an error naming the key.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};

use super::schema::MandiConfig;
use super::ConfigError;

/// `config/default.toml`, compiled in so `mandi run` works from any directory.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../../../config/default.toml");

/// Load and validate. `path` is a TOML file, or a directory with `default.toml` and an
/// optional `local.toml`. `env` is the variable list to read (`std::env::vars()` in the
/// binary; tests pass their own so they never depend on the caller's environment).
pub fn load(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<MandiConfig, ConfigError> {
    let mut builder =
        Config::builder().add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml));
    for file in files(path)? {
        builder = builder.add_source(File::from(file).format(FileFormat::Toml).required(true));
    }
    let vars: config::Map<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("MANDI__"))
        .collect();
    builder = builder.add_source(
        Environment::with_prefix("MANDI")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("server.cors_origins")
            .with_list_parse_key("server.allowed_origins")
            .with_list_parse_key("server.allowed_hosts")
            .with_list_parse_key("server.trusted_proxies")
            .with_list_parse_key("prices.symbols")
            .with_list_parse_key("market.holidays.nse")
            .with_list_parse_key("market.holidays.bse")
            .with_list_parse_key("market.holidays.mcx")
            .source(Some(vars)),
    );
    let raw = builder.build().map_err(ConfigError::from_source)?;
    let cfg: MandiConfig = raw.try_deserialize().map_err(ConfigError::from_source)?;
    super::validate::validate(&cfg)?;
    Ok(cfg)
}

fn files(path: Option<&Path>) -> Result<Vec<PathBuf>, ConfigError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    if path.is_dir() {
        let mut out = Vec::new();
        for name in ["default.toml", "local.toml"] {
            let p = path.join(name);
            if p.is_file() {
                out.push(p);
            }
        }
        return Ok(out);
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    Err(ConfigError::new(
        "--config",
        format!("{} does not exist", path.display()),
        "pass a TOML file or a directory holding default.toml",
    ))
}
