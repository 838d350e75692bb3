//! Files that hold secrets (stored S3 keys, the VMS API token): written atomically (temporary
//! file, fsync, rename) with mode 0600 in a directory created with mode 0700.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use ost_model::OstError;

use crate::error;

/// Creates `dir` (and its parents) and restricts it to its owner.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), OstError> {
    fs::create_dir_all(dir).map_err(|e| {
        error::io(
            &format!("creating the state directory {}", dir.display()),
            &e,
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Replaces `path` with `body` atomically, readable by its owner only; `what` names the file
/// in errors ("the S3 key file").
pub(crate) fn write_private(path: &Path, body: &[u8], what: &str) -> Result<(), OstError> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir)?;
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = Path::new(&tmp_name);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let failed = |e: std::io::Error| error::io(&format!("writing {what} {}", path.display()), &e);
    let mut f = options.open(tmp).map_err(failed)?;
    f.write_all(body)
        .and_then(|()| f.sync_all())
        .map_err(failed)?;
    fs::rename(tmp, path).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_owner_only_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("secret");
        write_private(&path, b"first", "the test file").unwrap();
        write_private(&path, b"2nd", "the test file").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"2nd");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }
}
