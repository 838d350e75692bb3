//! Passwords: from a file, the `VAST_OST_PASSWORD` environment variable or a prompt, never
//! from the command line.

use std::io::IsTerminal as _;
use std::path::Path;

use ost_core::Secret;

use crate::error::CliError;

/// Environment variable holding the VMS password.
pub(crate) const PASSWORD_ENV: &str = "VAST_OST_PASSWORD";

/// The password from `file` (its first line) or the environment, if given.
pub(crate) fn given(file: Option<&Path>) -> Result<Option<Secret>, CliError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::new(
                format!("reading the password file {}", path.display()),
                e.to_string(),
            )
            .hint("give a readable file holding the password on its first line")
        })?;
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        if line.is_empty() {
            return Err(CliError::new(
                format!("reading the password file {}", path.display()),
                "the file is empty",
            ));
        }
        return Ok(Some(Secret::new(line)));
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => Ok(Some(Secret::new(p))),
        _ => Ok(None),
    }
}

/// The password for `user`: given, else asked on the terminal.
pub(crate) fn for_user(user: &str, file: Option<&Path>) -> Result<Secret, CliError> {
    if let Some(p) = given(file)? {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            format!("no password for {user}"),
            "stdin is not a terminal, so it cannot be asked",
        )
        .hint(format!(
            "use --password-file FILE or the {PASSWORD_ENV} environment variable"
        )));
    }
    rpassword::prompt_password(format!("VMS password for {user}: "))
        .map(Secret::new)
        .map_err(|e| CliError::new("reading the password", e.to_string()))
}
