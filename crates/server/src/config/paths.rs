//! Relative paths in the configuration, resolved once at load: a path written in a config
//! file is taken from that file's directory, so `mandi run --config DIR` finds
//! `DIR/strategies` whatever the working directory. A `MANDI__…` variable is typed in a
//! shell, so its path is taken from the working directory, as the shell would.

use std::path::{Component, Path, PathBuf};

use config::{Config, File, FileFormat};
use serde::Serialize;

use super::schema::MandiConfig;

/// The keys that hold a filesystem path (`master.source` only when it is not a URL,
/// `"broker"` or `"none"`).
pub const PATH_KEYS: [&str; 5] = [
    "strategies.dir",
    "store.data_dir",
    "upstream.credentials_file",
    "server.api_keys_file",
    "master.source",
];

/// The directory the compiled-in default's relative paths hang from: it is
/// `config/default.toml`, so its paths read as they would from that file in the working
/// directory (`strategies` is `./config/strategies`, `../data` is `./data`).
pub const EMBEDDED_DEFAULT_DIR: &str = "config";

/// Which layer set a key last, and so where its relative path starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum PathOrigin {
    /// `config/default.toml` as compiled in.
    Default,
    /// A file given with `--config` (or found in its directory).
    File(PathBuf),
    /// A `MANDI__…` environment variable.
    Env(String),
}

impl std::fmt::Display for PathOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathOrigin::Default => f.write_str("the compiled-in default"),
            PathOrigin::File(p) => write!(f, "{}", p.display()),
            PathOrigin::Env(var) => write!(f, "${var}"),
        }
    }
}

/// One path key after resolution, for `mandi check-config` and the logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedPath {
    pub key: &'static str,
    /// As written in its layer.
    pub written: String,
    /// What mandi uses (empty stays empty: "none").
    pub resolved: String,
    pub origin: PathOrigin,
}

/// What the loader knows about the layers, in order of precedence (later wins).
pub struct Layers<'a> {
    pub files: &'a [PathBuf],
    /// The `MANDI__…` variables in force.
    pub env: &'a [(String, String)],
    pub cwd: &'a Path,
}

impl Layers<'_> {
    /// The layer that set `key` last.
    fn origin(&self, key: &str) -> PathOrigin {
        if let Some((var, _)) = self.env.iter().rev().find(|(k, _)| env_key(k) == key) {
            return PathOrigin::Env(var.clone());
        }
        for file in self.files.iter().rev() {
            if file_sets(file, key) {
                return PathOrigin::File(self.cwd.join(file));
            }
        }
        PathOrigin::Default
    }

    /// The directory a relative path from `origin` starts at.
    fn base(&self, origin: &PathOrigin) -> PathBuf {
        match origin {
            PathOrigin::Default => self.cwd.join(EMBEDDED_DEFAULT_DIR),
            PathOrigin::File(file) => file
                .parent()
                .map_or_else(|| self.cwd.to_path_buf(), Path::to_path_buf),
            PathOrigin::Env(_) => self.cwd.to_path_buf(),
        }
    }
}

/// Rewrites every relative path key of `cfg` to an absolute path and reports each.
pub fn resolve(cfg: &mut MandiConfig, layers: &Layers<'_>) -> Vec<ResolvedPath> {
    PATH_KEYS
        .iter()
        .map(|&key| {
            let slot = slot(cfg, key);
            let written = slot.clone();
            let origin = layers.origin(key);
            let resolved = if is_path(key, &written) {
                join_clean(&layers.base(&origin), Path::new(written.trim()))
                    .display()
                    .to_string()
            } else {
                written.clone()
            };
            *slot = resolved.clone();
            ResolvedPath {
                key,
                written,
                resolved,
                origin,
            }
        })
        .collect()
}

fn slot<'c>(cfg: &'c mut MandiConfig, key: &str) -> &'c mut String {
    match key {
        "strategies.dir" => &mut cfg.strategies.dir,
        "store.data_dir" => &mut cfg.store.data_dir,
        "upstream.credentials_file" => &mut cfg.upstream.credentials_file,
        "server.api_keys_file" => &mut cfg.server.api_keys_file,
        _ => &mut cfg.master.source,
    }
}

/// Whether the value is a filesystem path to resolve (not empty, not a URL, not the
/// `master.source` keyword).
fn is_path(key: &str, value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || (key == "master.source" && (v == "broker" || v == "none" || v.contains("://"))))
}

/// `MANDI__STORE__DATA_DIR` → `store.data_dir`, as the config crate reads it.
fn env_key(var: &str) -> String {
    var.trim_start_matches("MANDI__")
        .split("__")
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(".")
}

fn file_sets(file: &Path, key: &str) -> bool {
    Config::builder()
        .add_source(File::from(file).format(FileFormat::Toml))
        .build()
        .is_ok_and(|c| c.get_string(key).is_ok())
}

/// `base/path` with `.` and `..` taken out where they can be, so the paths printed are
/// the ones a person would write. An absolute `path` stays as it is.
fn join_clean(base: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in base.join(path).components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_map_to_keys() {
        let cases = [
            ("MANDI__STORE__DATA_DIR", "store.data_dir"),
            ("MANDI__STRATEGIES__DIR", "strategies.dir"),
            (
                "MANDI__UPSTREAM__CREDENTIALS_FILE",
                "upstream.credentials_file",
            ),
        ];
        for (var, key) in cases {
            assert_eq!(env_key(var), key, "{var}");
        }
    }

    #[test]
    fn joins_are_cleaned() {
        let cases = [
            (
                "relative",
                "/etc/mandi",
                "strategies",
                "/etc/mandi/strategies",
            ),
            ("parent", "/srv/app/config", "../data", "/srv/app/data"),
            ("dot", "/srv/app/config", "./bots/", "/srv/app/config/bots"),
            (
                "absolute kept",
                "/srv/app/config",
                "/var/lib/mandi",
                "/var/lib/mandi",
            ),
        ];
        for (name, base, path, want) in cases {
            assert_eq!(
                join_clean(Path::new(base), Path::new(path)),
                PathBuf::from(want),
                "{name}"
            );
        }
    }

    #[test]
    fn only_paths_are_resolved() {
        let cases = [
            ("empty", "strategies.dir", "", false),
            ("a dir", "strategies.dir", "strategies", true),
            ("broker keyword", "master.source", "broker", false),
            ("none keyword", "master.source", "none", false),
            ("a URL", "master.source", "http://127.0.0.1:9/x.csv", false),
            ("a master file", "master.source", "masters/dhan.csv", true),
        ];
        for (name, key, value, want) in cases {
            assert_eq!(is_path(key, value), want, "{name}");
        }
    }
}
