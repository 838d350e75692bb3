//! Fixture: the built library, the C driver compiled with the system C compiler, a vast-sim on
//! its own runtime and a plugin configuration file for it.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vast_sim::{SimConfig, VastSim};

pub mod dur;
pub mod rel;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `libstspiVastDataMT.so` as the same `cargo test` built it: beside this test binary
/// (`target/<profile>/deps/`), where cargo puts the ffi crate's cdylib when it builds the crate
/// for its tests. Always the current source, with the features of this very build.
pub fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let lib = exe.parent().unwrap().join("libstspiVastDataMT.so");
    assert!(
        lib.is_file(),
        "{} not built (cargo builds it for the ost-ffi tests)",
        lib.display()
    );
    lib
}

/// Compiles `tests/c/driver.c` into `dir` with `$CC` (default `cc`), warnings as errors.
pub fn compile_driver(dir: &Path) -> PathBuf {
    compile_c(dir, "tests/c/driver.c", "driver")
}

/// Compiles one C driver source of the workspace (`source`, relative to the root) into
/// `dir/name` with `$CC` (default `cc`), warnings as errors, against the generated header.
pub fn compile_c(dir: &Path, source: &str, name: &str) -> PathBuf {
    let root = workspace();
    let out = dir.join(name);
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(cc)
        .args([
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread", "-I",
        ])
        .arg(root.join("ffi/include"))
        .arg(root.join(source))
        .arg("-o")
        .arg(&out)
        .arg("-ldl")
        .status()
        .expect("a C compiler (cc) is needed to build the C drivers");
    assert!(status.success(), "compiling {source} failed");
    out
}

/// Which data path the plugin uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataPath {
    S3,
    Nfs,
}

/// How a test environment is set up. `Options::new(path)` is the plain one the driver tests use.
#[derive(Clone, Debug)]
pub struct Options {
    pub path: DataPath,
    /// Serve both faces over HTTPS with the simulator's self-signed certificate.
    pub tls: bool,
    /// How the plugin trusts a TLS cluster.
    pub trust: Trust,
    /// The simulator's admin password (the credential the driver passes as NetBackup's).
    pub admin_password: Option<String>,
    /// `log_level` of the plugin.
    pub log_level: String,
    /// Server-section keys that replace or add to the defaults (`key`, TOML value).
    pub server: Vec<(String, String)>,
    /// Changes to the simulator's configuration (its behaviour switches) before it starts.
    pub sim: fn(&mut SimConfig),
    /// On S3: no `s3_url`; the plugin resolves the S3 endpoints through VMS (the PROTOCOLS
    /// pool's VIPs, on the simulator's S3 port).
    pub resolve_s3: bool,
}

/// How the plugin trusts the cluster's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// No `ca_bundle`, no `insecure`: the system roots only.
    SystemRoots,
    /// `ca_bundle` = the simulator's certificate.
    CaBundle,
    /// `insecure = true`.
    Insecure,
}

impl Options {
    pub fn new(path: DataPath) -> Self {
        Options {
            path,
            tls: false,
            trust: Trust::CaBundle,
            admin_password: None,
            log_level: "info".to_owned(),
            server: Vec::new(),
            sim: |_| {},
            resolve_s3: false,
        }
    }

    /// Sets how the simulator is configured before it starts (a release profile, an S3 mode).
    pub fn sim(mut self, configure: fn(&mut SimConfig)) -> Self {
        self.sim = configure;
        self
    }

    /// Sets (or adds) one key of the server section.
    pub fn server_key(mut self, key: &str, value: impl std::fmt::Display) -> Self {
        self.server.retain(|(k, _)| k != key);
        self.server.push((key.to_owned(), value.to_string()));
        self
    }
}

/// A running simulator, a temp dir, a config file and the compiled driver.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sim: VastSim,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub log: PathBuf,
    pub driver: PathBuf,
}

impl Env {
    pub fn start(path: DataPath) -> Env {
        Self::start_with(Options::new(path))
    }

    pub fn start_with(options: Options) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut sim_config = SimConfig::new(dir.path().join("sim"));
        sim_config.tls = options.tls;
        if let Some(password) = &options.admin_password {
            sim_config.admin_password = password.clone();
        }
        (options.sim)(&mut sim_config);
        let sim = rt.block_on(VastSim::start(sim_config)).unwrap();
        let log = dir.path().join("plugin.log");
        let config = dir.path().join("vast-ost.toml");
        let quote = |s: String| format!("\"{s}\"");
        let mut server: Vec<(String, String)> = vec![("vms_url".to_owned(), quote(sim.vms_url()))];
        match options.path {
            DataPath::S3 if options.resolve_s3 => {
                server.push(("s3_port".to_owned(), sim.s3_addr().port().to_string()));
                server.push(("s3_https".to_owned(), options.tls.to_string()));
            }
            DataPath::S3 => server.push(("s3_url".to_owned(), quote(sim.s3_url()))),
            DataPath::Nfs => {
                server.push(("data_path".to_owned(), quote("nfs".to_owned())));
                // The mount point exists, as a mounted view does (open refuses a missing one).
                let root = dir.path().join("nfs");
                std::fs::create_dir(&root).unwrap();
                server.push(("nfs_root".to_owned(), quote(root.display().to_string())));
            }
        }
        if options.tls {
            match options.trust {
                Trust::SystemRoots => {}
                Trust::CaBundle => {
                    let ca = sim.ca_cert_path().unwrap().display().to_string();
                    server.push(("ca_bundle".to_owned(), quote(ca)));
                }
                Trust::Insecure => server.push(("insecure".to_owned(), "true".to_owned())),
            }
        }
        for (k, v) in [
            ("part_size", "5242880"),
            ("segment_size", "10485760"),
            ("lsu_cache_secs", "0"),
            ("sweep_on_open", "false"),
            ("event_poll_secs", "3600"),
        ] {
            server.push((k.to_owned(), v.to_owned()));
        }
        for (k, v) in &options.server {
            server.retain(|(key, _)| key != k);
            server.push((k.clone(), v.clone()));
        }
        let server_lines: String = server.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
        let text = format!(
            "[plugin]\nlog_file = \"{log}\"\nlog_level = \"{level}\"\nstate_dir = \"{state}\"\n\
             worker_threads = 2\nbuffer_budget = 268435456\n\n\
             [servers.\"vast://{vms}\"]\n{server_lines}",
            log = log.display(),
            level = options.log_level,
            state = dir.path().join("state").display(),
            vms = sim.vms_addr(),
        );
        std::fs::write(&config, text).unwrap();
        let driver = compile_driver(dir.path());
        Env {
            rt,
            sim,
            dir,
            config,
            log,
            driver,
        }
    }

    /// `vast://127.0.0.1:<vms port>`.
    pub fn server_name(&self) -> String {
        format!("vast://{}", self.sim.vms_addr())
    }

    /// Runs the driver in `mode` with NetBackup-style credentials (the sim's admin).
    pub fn run(&self, mode: &[&str]) -> Output {
        self.run_as(&self.config, mode)
    }

    /// A configuration file for another media server on the same cluster: this one's, with
    /// its own `state_dir` (`<dir>/state-<name>`) and `media_server = "<name>"`.
    pub fn media_server_config(&self, name: &str) -> PathBuf {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let state = self.dir.path().join("state");
        let own = self.dir.path().join(format!("state-{name}"));
        let text = text
            .replacen(
                &format!("state_dir = \"{}\"", state.display()),
                &format!("state_dir = \"{}\"", own.display()),
                1,
            )
            .replacen(
                "[plugin]\n",
                &format!("[plugin]\nmedia_server = \"{name}\"\n"),
                1,
            );
        let path = self.dir.path().join(format!("vast-ost-{name}.toml"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs the driver in `mode` with the configuration file `config` (one media server's).
    pub fn run_as(&self, config: &Path, mode: &[&str]) -> Output {
        let (user, password) = self.sim.admin_credentials();
        let out = Command::new(&self.driver)
            .arg(library())
            .arg(self.server_name())
            .args(mode)
            .env("VAST_OST_CONFIG", config)
            .env("VAST_OST_USER", user)
            .env("VAST_OST_PASSWORD", password)
            .output()
            .unwrap();
        println!("{}", String::from_utf8_lossy(&out.stdout));
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        out
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The driver's stdout.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
