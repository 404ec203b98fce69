//! Live reload: on SIGHUP the fileserver reads its configuration again (the file, the
//! `FILESERVER_*` environment, the flags, in the same order as at start-up), builds a new
//! pipeline and swaps it in for the requests that start after it; requests already running
//! finish with the pipeline they began with. A configuration that does not load or build is
//! logged (file, line, column and key for a TOML error) and the running one stays.
//!
//! The hot path takes the current pipeline once per request: a read lock held for one
//! `Arc` clone.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use crate::app::App;
use crate::config::{self, Config};

/// Where the configuration comes from: a file (if any) and the flags given at start-up.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) file: Option<PathBuf>,
    pub(crate) flags: Config,
}

impl Source {
    /// The file, then the environment variables `vars`, then the flags, each overriding the
    /// one before.
    pub(crate) fn read(&self, vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, String> {
        let mut c = match &self.file {
            Some(path) => config::load(path)?,
            None => Config::default(),
        };
        config::apply_env(&mut c, vars)?;
        config::merge(&mut c, self.flags.clone());
        Ok(c)
    }
}

/// The options a running server cannot change (the listener, the runtime, TLS files, the
/// log filter): a reload that changes them warns and keeps the old values.
fn restart_only(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut check = |changed: bool, key| {
        if changed {
            keys.push(key);
        }
    };
    check(old.host != new.host, "host");
    check(old.port != new.port, "port");
    check(old.workers != new.workers, "workers");
    check(old.tls_cert != new.tls_cert, "tls-cert");
    check(old.tls_key != new.tls_key, "tls-key");
    check(old.quiet != new.quiet, "quiet");
    keys
}

/// The pipeline in use, and how to make a new one.
#[derive(Debug)]
pub(crate) struct Live {
    current: RwLock<Arc<App>>,
    source: Source,
    started: Config,
}

/// What a successful reload changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reloaded {
    /// Keys that changed but need a restart.
    pub(crate) ignored: Vec<&'static str>,
}

impl Live {
    /// `app` built from `started`, which `source` gave.
    pub(crate) fn new(app: App, source: Source, started: Config) -> Live {
        Live { current: RwLock::new(Arc::new(app)), source, started }
    }

    /// The pipeline for one request.
    pub(crate) fn current(&self) -> Arc<App> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the configuration again with the environment `vars`; on success the new
    /// pipeline replaces the old one, on error nothing changes and the error says why.
    pub(crate) fn reload(&self, vars: impl IntoIterator<Item = (String, String)>) -> Result<Reloaded, String> {
        let new = self.source.read(vars)?;
        let app = crate::build(&new).map_err(|e| match &self.source.file {
            Some(f) => format!("{}: {e}", f.display()),
            None => e,
        })?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(app);
        Ok(Reloaded { ignored: restart_only(&self.started, &new) })
    }

    /// [`Live::reload`] with the process's environment, logged.
    pub(crate) fn reload_and_log(&self) {
        let from = self.source.file.as_ref().map_or_else(|| "the flags".to_owned(), |f| f.display().to_string());
        match self.reload(std::env::vars()) {
            Ok(r) => {
                tracing::info!("configuration reloaded from {from}");
                if !r.ignored.is_empty() {
                    tracing::warn!("{} changed: takes effect on restart only", r.ignored.join(", "));
                }
            }
            Err(e) => tracing::error!("configuration reload failed, keeping the running one: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_on_success_keeps_on_error_and_names_restart_only_keys() {
        let dir = std::env::temp_dir().join(format!("fileserver-live-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(dir.join("down.html"), "down").unwrap();
        std::fs::write(&file, "root = \".\"\nport = 1\nsecurity-headers = false\n").unwrap();
        let source = Source { file: Some(file.clone()), flags: Config::default() };
        let started = source.read([]).unwrap();
        let live = Live::new(crate::build(&started).unwrap(), source, started);
        let before = live.current();
        assert!(!before.security_headers);

        std::fs::write(&file, "root = \".\"\nport = 2\nsecurity-headers = true\n").unwrap();
        assert_eq!(live.reload([]).unwrap(), Reloaded { ignored: vec!["port"] });
        assert!(live.current().security_headers, "new requests see the new pipeline");
        assert!(!before.security_headers, "a request that began before keeps its own");

        let rows = [
            ("port = 1\nsecurity-headers = 3\n", "c.toml:2:20: key `security-headers`: invalid type: integer `3`"),
            ("root = \".\"\nmaintenance = \"gone.html\"\n", "c.toml: maintenance page gone.html: "),
        ];
        for (text, want) in rows {
            std::fs::write(&file, text).unwrap();
            let err = live.reload([]).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
            assert!(live.current().security_headers, "{text:?}: the running pipeline stays");
        }
        std::fs::write(&file, "root = \".\"\nmaintenance = \"down.html\"\n").unwrap();
        assert!(live.current().maintenance.is_none());
        live.reload([]).unwrap();
        assert!(live.current().maintenance.is_some(), "a valid file after invalid ones is taken");
        let err = live.reload([("FILESERVER_PORT".to_owned(), "x".to_owned())]).unwrap_err();
        assert!(err.starts_with("environment variable FILESERVER_PORT"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
