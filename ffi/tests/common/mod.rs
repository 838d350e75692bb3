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

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `libstspiVastDataMT.so` built beside this test binary (`target/<profile>/`).
pub fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let lib = profile_dir.join("libstspiVastDataMT.so");
    assert!(lib.is_file(), "{} not built", lib.display());
    lib
}

/// Compiles `tests/c/driver.c` into `dir` with `$CC` (default `cc`), warnings as errors.
pub fn compile_driver(dir: &Path) -> PathBuf {
    let root = workspace();
    let out = dir.join("driver");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(cc)
        .args([
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread", "-I",
        ])
        .arg(root.join("ffi/include"))
        .arg(root.join("tests/c/driver.c"))
        .arg("-o")
        .arg(&out)
        .arg("-ldl")
        .status()
        .expect("a C compiler (cc) is needed to build tests/c/driver.c");
    assert!(status.success(), "compiling the driver failed");
    out
}

/// Which data path the plugin uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataPath {
    S3,
    Nfs,
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
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt
            .block_on(VastSim::start(SimConfig::new(dir.path().join("sim"))))
            .unwrap();
        let log = dir.path().join("plugin.log");
        let config = dir.path().join("vast-ost.toml");
        let data = match path {
            DataPath::S3 => format!("s3_url = \"{}\"\n", sim.s3_url()),
            DataPath::Nfs => format!(
                "data_path = \"nfs\"\nnfs_root = \"{}\"\n",
                dir.path().join("nfs").display()
            ),
        };
        let text = format!(
            "[plugin]\nlog_file = \"{log}\"\nlog_level = \"info\"\nstate_dir = \"{state}\"\n\
             worker_threads = 2\nbuffer_budget = 268435456\n\n\
             [servers.\"vast://{vms}\"]\nvms_url = \"{vms_url}\"\n{data}\
             part_size = 5242880\nsegment_size = 10485760\nlsu_cache_secs = 0\n\
             sweep_on_open = false\nevent_poll_secs = 3600\n",
            log = log.display(),
            state = dir.path().join("state").display(),
            vms = sim.vms_addr(),
            vms_url = sim.vms_url(),
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
        let (user, password) = self.sim.admin_credentials();
        let out = Command::new(&self.driver)
            .arg(library())
            .arg(self.server_name())
            .args(mode)
            .env("VAST_OST_CONFIG", &self.config)
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
