//! Layering: the embedded default, an optional file or directory, then `MANDI__*`
//! environment variables. Returns a typed config, its relative paths resolved against
//! the layer that set them (see `paths`), or an error naming the key.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};

use super::schema::MandiConfig;
use super::ConfigError;

/// `config/default.toml`, compiled in so `mandi run` works from any directory.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../../../config/default.toml");

/// Load and validate. `path` is a TOML file, or a directory with `default.toml` and an
/// optional `local.toml`. `env` is the variable list to read (`std::env::vars()` in the
/// binary; tests pass their own so they never depend on the caller's environment).
/// Relative paths from the environment or the compiled-in default start at the working
/// directory.
pub fn load(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<MandiConfig, ConfigError> {
    let cwd = std::env::current_dir().map_err(|e| {
        ConfigError::new(
            "--config",
            format!("the working directory cannot be read: {e}"),
            "start mandi from an existing directory",
        )
    })?;
    load_in(path, env, &cwd)
}

/// [`load`] with the working directory given, so tests need not change the process's.
pub fn load_in(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    cwd: &Path,
) -> Result<MandiConfig, ConfigError> {
    let mut builder =
        Config::builder().add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml));
    let files = files(path)?;
    for file in &files {
        builder = builder.add_source(
            File::from(file.as_path())
                .format(FileFormat::Toml)
                .required(true),
        );
    }
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("MANDI__"))
        .collect();
    let vars: config::Map<String, String> = env.iter().cloned().collect();
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
    let mut cfg: MandiConfig = raw.try_deserialize().map_err(ConfigError::from_source)?;
    let layers = super::paths::Layers {
        files: &files,
        env: &env,
        cwd,
    };
    cfg.resolved_paths = super::paths::resolve(&mut cfg, &layers);
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
