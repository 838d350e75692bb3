//! Pieces `demo` and `bench` share: building the library and vast-sim, starting vast-sim,
//! compiling the C driver and writing the plugin's configuration.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};

use crate::command::{cargo, run as run_step, workspace_root};

/// Kills vast-sim when dropped, however the task ends.
pub(crate) struct SimProcess(Child);

impl SimProcess {
    /// The simulator's process id (to read its CPU time).
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What vast-sim prints on its first line.
pub(crate) struct SimInfo {
    /// `host:port` of the VMS face (the storage server is `vast://<vms_addr>`).
    pub(crate) vms_addr: String,
    /// VMS base URL.
    pub(crate) vms_url: String,
    /// S3 endpoint URL.
    pub(crate) s3_url: String,
    /// Seeded admin user.
    pub(crate) user: String,
    /// Its password.
    pub(crate) password: String,
    /// With `--tls`: the generated certificate (PEM), every client's CA bundle.
    pub(crate) ca_cert: Option<PathBuf>,
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Builds `libstspiVastDataMT.so` and vast-sim; returns their paths.
pub(crate) fn build_library_and_sim(release: bool) -> Result<(PathBuf, PathBuf)> {
    let mut build = cargo();
    build.args(["build", "-p", "ost-ffi", "-p", "vast-sim"]);
    if release {
        build.arg("--release");
    }
    run_step("build the library and vast-sim", &mut build)?;
    let profile = target_dir().join(if release { "release" } else { "debug" });
    Ok((
        profile.join("libstspiVastDataMT.so"),
        profile.join("vast-sim"),
    ))
}

/// Starts vast-sim with its data in `data_dir` and reads its startup line.
pub(crate) fn start_sim(bin: &Path, data_dir: &Path) -> Result<(SimProcess, SimInfo)> {
    start_sim_with(bin, data_dir, &[])
}

/// [`start_sim`] with more command-line arguments (`--s3-vips 4`, `--tls`, ...).
pub(crate) fn start_sim_with(
    bin: &Path,
    data_dir: &Path,
    extra: &[String],
) -> Result<(SimProcess, SimInfo)> {
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stdout = child.stdout.take().context("vast-sim stdout")?;
    let sim = SimProcess(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("reading vast-sim's startup line")?;
    let v: serde_json::Value =
        serde_json::from_str(&line).with_context(|| format!("vast-sim said {line:?}"))?;
    let s = |k: &str| -> Result<String> {
        v[k].as_str()
            .map(str::to_owned)
            .with_context(|| format!("vast-sim startup info lacks {k}"))
    };
    let info = SimInfo {
        vms_addr: s("vms_addr")?,
        vms_url: s("vms_url")?,
        s3_url: s("s3_url")?,
        user: s("admin_user")?,
        password: s("admin_password")?,
        ca_cert: v["ca_cert"].as_str().map(PathBuf::from),
    };
    Ok((sim, info))
}

/// The storage-server name the plugin claims for this simulator.
pub(crate) fn server_name(sim: &SimInfo) -> String {
    format!("vast://{}", sim.vms_addr)
}

/// vast-sim's per-VIP S3 counters from its admin API (`GET /_sim/vips` on the VMS face, over
/// HTTPS trusting its generated certificate under `--tls`): `(ip, {ip, up, requests,
/// part_uploads, gets})` per S3 listener.
pub(crate) fn sim_vip_counters(sim: &SimInfo) -> Result<Vec<(String, serde_json::Value)>> {
    let url = format!("{}/_sim/vips", sim.vms_url);
    let mut curl = Command::new("curl");
    curl.arg("-sSf");
    if let Some(ca) = &sim.ca_cert {
        curl.arg("--cacert").arg(ca);
    }
    let out = curl
        .arg(&url)
        .output()
        .context("running curl for vast-sim's VIP counters")?;
    if !out.status.success() {
        anyhow::bail!("GET {url} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "GET {url} answered {:?}",
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    let list = v.as_array().context("/_sim/vips is not a JSON array")?;
    Ok(list
        .iter()
        .map(|e| (e["ip"].as_str().unwrap_or("?").to_owned(), e.clone()))
        .collect())
}

/// S3 requests vast-sim has served so far, over all its VIPs.
pub(crate) fn sim_s3_requests(sim: &SimInfo) -> Result<u64> {
    Ok(sim_vip_counters(sim)?
        .iter()
        .map(|(_, v)| v["requests"].as_u64().unwrap_or(0))
        .sum())
}

/// What a plugin configuration written by [`write_plugin_config_for`] adds to the basics.
pub(crate) struct PluginConfig {
    /// Appended to the `[plugin]` section.
    pub(crate) plugin_extra: String,
    /// Appended to the server's section.
    pub(crate) server_extra: String,
    /// `s3_url` = the simulator's first S3 listener (one endpoint); otherwise only its port
    /// is configured and the plugin resolves the S3 VIPs through VMS, as on a real cluster.
    pub(crate) pinned_s3_url: bool,
}

/// Writes the plugin's TOML configuration for `sim` into `dir` (log, state directory and config
/// file there); `plugin_extra` is appended to the `[plugin]` section. Returns the config path.
pub(crate) fn write_plugin_config(
    dir: &Path,
    sim: &SimInfo,
    plugin_extra: &str,
) -> Result<PathBuf> {
    write_plugin_config_for(
        dir,
        sim,
        &PluginConfig {
            plugin_extra: plugin_extra.to_owned(),
            server_extra: String::new(),
            pinned_s3_url: true,
        },
    )
}

/// [`write_plugin_config`] with the choices of [`PluginConfig`].
pub(crate) fn write_plugin_config_for(
    dir: &Path,
    sim: &SimInfo,
    choice: &PluginConfig,
) -> Result<PathBuf> {
    let config = dir.join("vast-ost.toml");
    let s3 = if choice.pinned_s3_url {
        format!("s3_url = \"{}\"\n", sim.s3_url)
    } else {
        let port = sim
            .s3_url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
            .with_context(|| format!("no port in vast-sim's S3 URL {}", sim.s3_url))?;
        format!("s3_https = {}\ns3_port = {port}\n", sim.ca_cert.is_some())
    };
    // Over TLS the plugin trusts the simulator's generated certificate, as it would a
    // cluster's: through `ca_bundle`, never `insecure`.
    let ca = sim.ca_cert.as_ref().map_or(String::new(), |pem| {
        format!("ca_bundle = \"{}\"\n", pem.display())
    });
    std::fs::write(
        &config,
        format!(
            "[plugin]\nlog_file = \"{}\"\nlog_level = \"info\"\nstate_dir = \"{}\"\n{}\n\
             [servers.\"{}\"]\nvms_url = \"{}\"\n{s3}{ca}sweep_on_open = false\n{}",
            dir.join("vast-ost.log").display(),
            dir.join("state").display(),
            choice.plugin_extra,
            server_name(sim),
            sim.vms_url,
            choice.server_extra,
        ),
    )?;
    Ok(config)
}

/// The driver command for `lib` on `sim`'s server with `config` (credentials from the sim).
pub(crate) fn driver_command(
    driver: &Path,
    lib: &Path,
    sim: &SimInfo,
    config: &Path,
    args: &[&str],
) -> Command {
    let mut command = Command::new(driver);
    command
        .arg(lib)
        .arg(server_name(sim))
        .args(args)
        .env("VAST_OST_CONFIG", config)
        .env("VAST_OST_USER", &sim.user)
        .env("VAST_OST_PASSWORD", &sim.password);
    command
}

/// Compiles `tests/c/driver.c` to `out` with `$CC` (default `cc`).
pub(crate) fn compile_driver(out: &Path) -> Result<()> {
    let root = workspace_root();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    run_step(
        "compile tests/c/driver.c",
        Command::new(cc)
            .args(["-std=c11", "-Wall", "-Wextra", "-O2", "-pthread", "-I"])
            .arg(root.join("ffi/include"))
            .arg(root.join("tests/c/driver.c"))
            .arg("-o")
            .arg(out)
            .arg("-ldl"),
    )
}
