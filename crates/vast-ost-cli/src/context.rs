//! Turning the global options into a running plugin: configuration (file + overrides),
//! credentials, and an open storage server.

use std::path::PathBuf;
use std::sync::Arc;

use ost_core::{Credentials, Plugin, PluginConfig, ServerId, ServerName};

use crate::args::Global;
use crate::error::{CliError, Context as _};
use crate::password;

/// The configuration file the options point at, if any: `--config`, then the plugin's own
/// lookup order ([`ost_core::config::config_file`]).
pub(crate) fn config_path(global: &Global) -> Option<PathBuf> {
    ost_core::config::config_file(global.config.as_deref())
}

/// Loads the configuration file (or the defaults when there is none).
pub(crate) fn load_config(global: &Global) -> Result<PluginConfig, CliError> {
    match config_path(global) {
        Some(path) => PluginConfig::load(&path).map_err(|e| {
            CliError::new(
                format!("loading the configuration {}", path.display()),
                e.to_string(),
            )
            .hint("`vast-ost config check FILE` names the offending key")
        }),
        None => Ok(PluginConfig::default()),
    }
}

/// Parses a `vast://` server name.
pub(crate) fn server_name(name: &str) -> Result<ServerName, CliError> {
    name.parse::<ServerName>().map_err(|e| {
        CliError::usage(format!("server name {name:?}"), e.to_string())
            .hint("storage server names look like vast://HOST[:PORT]")
    })
}

/// The storage server the command is about: `explicit`, else `--server`, else the only
/// server section of the configuration.
pub(crate) fn pick_server(
    global: &Global,
    config: &PluginConfig,
    explicit: Option<&str>,
) -> Result<ServerName, CliError> {
    if let Some(name) = explicit.or(global.server.as_deref()) {
        return server_name(name);
    }
    let mut names = config.servers.keys();
    match (names.next(), names.next()) {
        (Some(only), None) => server_name(only),
        (None, _) => Err(CliError::usage(
            "which storage server?",
            "no --server and no server section in the configuration",
        )
        .hint("add --server vast://HOST (or set VAST_OST_SERVER)")),
        (Some(_), Some(_)) => Err(CliError::usage(
            "which storage server?",
            "the configuration has several server sections",
        )
        .hint("add --server vast://HOST (or set VAST_OST_SERVER)")),
    }
}

/// The configuration with the command line's overrides for `server`: CA bundle, insecure,
/// state directory, log level; the tool never sweeps on open (only `vast-ost sweep` does).
pub(crate) fn effective_config(
    global: &Global,
    mut config: PluginConfig,
    server: &ServerName,
) -> PluginConfig {
    let section = config.server(server);
    let entry = config.servers.entry(server.to_string()).or_insert(section);
    if let Some(ca) = &global.ca_bundle {
        entry.ca_bundle = Some(ca.clone());
    }
    if global.insecure {
        entry.insecure = true;
    }
    for s in config.servers.values_mut() {
        s.sweep_on_open = false;
    }
    if let Some(dir) = &global.state_dir {
        config.plugin.state_dir = dir.clone();
    }
    config.plugin.log_file = None;
    config.plugin.log_level = match global.verbose {
        0 => "off",
        1 => "info",
        _ => "debug",
    }
    .to_owned();
    config
}

/// The credentials to open `server` with: `--user` (with a password from the file, the
/// environment or a prompt); a password alone goes with the configured user; a configured
/// user without a configured password or API token is asked for it; otherwise the configured
/// credentials or API token.
pub(crate) fn credentials(
    global: &Global,
    config: &PluginConfig,
    server: &ServerName,
) -> Result<Option<Credentials>, CliError> {
    let file = global.password_file.as_deref();
    if let Some(user) = &global.user {
        let pw = password::for_user(user, file)?;
        return Ok(Some(Credentials::new(user.clone(), pw)));
    }
    match password::given(file)? {
        Some(pw) => match config.server(server).username {
            Some(user) => Ok(Some(Credentials::new(user, pw))),
            None => Err(CliError::usage(
                "a password was given without a user",
                "no --user and no username in the configuration",
            )
            .hint("add --user USER")),
        },
        None => {
            let section = config.server(server);
            let has_token = section.api_token.is_some() || section.api_token_file.is_some();
            match (section.username, section.password) {
                // A configured user without a configured password (and no API token): ask.
                (Some(user), None) if !has_token => {
                    let pw = password::for_user(&user, None)?;
                    Ok(Some(Credentials::new(user, pw)))
                }
                _ => Ok(None),
            }
        }
    }
}

/// A plugin for `server` with the overrides applied.
pub(crate) fn plugin_for(
    global: &Global,
    server: &ServerName,
) -> Result<(Arc<Plugin>, PluginConfig), CliError> {
    let config = effective_config(global, load_config(global)?, server);
    let plugin = Plugin::init(config.clone()).doing(|| "starting the plugin".to_owned())?;
    Ok((plugin, config))
}

/// An open storage server.
pub(crate) struct Session {
    /// The plugin.
    pub(crate) plugin: Arc<Plugin>,
    /// The open server.
    pub(crate) server: ServerId,
    /// Its name.
    pub(crate) name: ServerName,
}

impl Session {
    /// Opens the storage server the options name (`explicit` first).
    pub(crate) fn open(global: &Global, explicit: Option<&str>) -> Result<Self, CliError> {
        let name = pick_server(global, &load_config(global)?, explicit)?;
        let (plugin, config) = plugin_for(global, &name)?;
        let creds = credentials(global, &config, &name)?;
        let server = plugin
            .open_server(&name.to_string(), creds)
            .doing(|| format!("opening {name}"))?;
        Ok(Self {
            plugin,
            server,
            name,
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.plugin.close_server(self.server);
        self.plugin.terminate();
    }
}
