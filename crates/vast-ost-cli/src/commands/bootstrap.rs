//! `vast-ost bootstrap [vast://HOST]`: the one step that needs a VMS administrator's password.
//! It opens the server with the password (which creates or finds the tenant, the S3 user, the
//! view policy and the default LSU, and stores the plugin's S3 key), then issues a VMS API
//! token and writes it to a file (mode 0600). With `api_token_file` naming that file in the
//! configuration, neither the plugin nor this tool needs the password again.

use std::process::ExitCode;

use ost_core::config::default_api_token_file;
use ost_core::{Plugin, ServerConfig};
use serde_json::json;

use crate::args::{BootstrapArgs, Global};
use crate::context;
use crate::error::{CliError, Context as _};
use crate::output::{print_fields, print_json, print_text};

/// Runs the bootstrap.
pub(crate) fn run(global: &Global, args: &BootstrapArgs) -> Result<ExitCode, CliError> {
    let loaded = context::load_config(global)?;
    let name = context::pick_server(global, &loaded, args.server.as_deref())?;
    let mut config = context::effective_config(global, loaded, &name);
    // Bootstrap is the password step: a configured token is not used here.
    for section in config.servers.values_mut() {
        section.api_token = None;
        section.api_token_file = None;
    }
    let section: ServerConfig = config.server(&name);
    let token_file = args
        .token_file
        .clone()
        .unwrap_or_else(|| default_api_token_file(&config.plugin.state_dir, &name));
    if !args.no_token && token_file.exists() && !args.force {
        return Err(CliError::usage(
            format!("writing the API token to {}", token_file.display()),
            "the file exists",
        )
        .hint("add --force to replace it, or --token-file FILE"));
    }
    let creds = context::credentials(global, &config, &name)?;
    if creds.is_none() && (section.username.is_none() || section.password.is_none()) {
        return Err(CliError::usage(
            "bootstrap needs a VMS administrator's password once",
            "no user and password given",
        )
        .hint("add --user USER and --password-file FILE (or VAST_OST_PASSWORD)"));
    }
    let plugin = Plugin::init(config.clone()).doing(|| "starting the plugin".to_owned())?;
    let result = bootstrap(
        &plugin,
        &name,
        creds,
        &section,
        &token_file,
        args,
        global.json,
    );
    plugin.terminate();
    result
}

fn bootstrap(
    plugin: &Plugin,
    name: &ost_core::ServerName,
    creds: Option<ost_core::Credentials>,
    section: &ServerConfig,
    token_file: &std::path::Path,
    args: &BootstrapArgs,
    json_out: bool,
) -> Result<ExitCode, CliError> {
    let server = plugin
        .open_server(&name.to_string(), creds)
        .doing(|| format!("opening {name} with the administrator's password"))?;
    let outcome = (|| {
        let lsus = plugin
            .list_lsus(server)
            .doing(|| format!("listing the LSUs of {name}"))?;
        let token = if args.no_token {
            None
        } else {
            Some(
                plugin
                    .issue_api_token(
                        server,
                        args.token_name.as_deref(),
                        Some(&args.token_expiry),
                        token_file,
                    )
                    .doing(|| format!("issuing a VMS API token on {name}"))?,
            )
        };
        Ok::<_, CliError>((lsus, token))
    })();
    let _ = plugin.close_server(server);
    let (lsus, token) = outcome?;
    let lsu_names: Vec<&str> = lsus.iter().map(|l| l.as_str()).collect();
    let file = token_file.display().to_string();
    if json_out {
        print_json(&json!({
            "server": name.to_string(),
            "tenant": section.tenant,
            "s3_user": section.s3_user,
            "view_policy": section.view_policy,
            "lsus": lsu_names,
            "api_token": token.as_ref().map(|t| json!({
                "id": t.id,
                "owner": t.owner,
                "expiry": args.token_expiry,
                "file": file,
            })),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut fields = vec![
        ("server", name.to_string()),
        ("tenant", section.tenant.clone()),
        ("S3 user", section.s3_user.clone()),
        ("view policy", section.view_policy.clone()),
        ("LSUs", lsu_names.join(", ")),
    ];
    if let Some(t) = &token {
        fields.push((
            "API token",
            format!(
                "id {} owned by {}, expires in {}",
                t.id, t.owner, args.token_expiry
            ),
        ));
        fields.push(("token file", format!("{file} (mode 0600)")));
    }
    print_fields(&fields);
    if token.is_some() {
        print_text(&format!(
            "\nNext: in the configuration, section [servers.\"{name}\"], set\n    \
             api_token_file = \"{file}\"\nand remove `password`: the plugin then calls VMS with \
             the token only.\n"
        ));
    }
    Ok(ExitCode::SUCCESS)
}
