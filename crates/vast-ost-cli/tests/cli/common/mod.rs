//! Test fixture: a vast-sim on loopback (port 0), a configuration file pointing at it, and a
//! runner for the built `vast-ost` binary.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use vast_sim::{SimConfig, VastSim};

/// A running simulator, its own runtime, and a temporary directory for config and state.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sim: VastSim,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub password_file: PathBuf,
}

/// What a run printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Asserts a failure printed as one clear line, never a backtrace.
    pub fn assert_one_line_error(&self) {
        assert_ne!(self.code, 0, "expected a failure: {}", self.stdout);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "error is not one line: {:?}", self.stderr);
        assert!(lines[0].starts_with("vast-ost: "), "{}", self.stderr);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(!self.stderr.contains("RUST_BACKTRACE"), "{}", self.stderr);
    }
}

impl Env {
    pub fn start() -> Env {
        Self::start_with(|_| {})
    }

    pub fn start_with(adjust: impl FnOnce(&mut SimConfig)) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut sc = SimConfig::new(dir.path().join("sim"));
        adjust(&mut sc);
        let sim = rt.block_on(VastSim::start(sc)).unwrap();
        let (user, password) = sim.admin_credentials();
        let (user, password) = (user.to_owned(), password.to_owned());
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{password}\n")).unwrap();
        let config = dir.path().join("vast-ost.toml");
        let env = Env {
            rt,
            sim,
            dir,
            config,
            password_file,
        };
        let vms_url = if env.sim.ca_cert_path().is_some() {
            String::new()
        } else {
            format!("vms_url = \"{}\"\n", env.sim.vms_url())
        };
        std::fs::write(
            &env.config,
            format!(
                "[plugin]\nstate_dir = \"{}\"\nworker_threads = 2\nbuffer_budget = 268435456\n\n\
                 [servers.\"{}\"]\n{vms_url}s3_url = \"{}\"\nusername = \"{user}\"\n\
                 part_size = 5242880\nsegment_size = 10485760\nlsu_cache_secs = 0\n\
                 vms_timeout_secs = 10\ns3_timeout_secs = 30\nconnect_timeout_secs = 5\n",
                env.state_dir().display(),
                env.server_name(),
                env.sim.s3_url(),
            ),
        )
        .unwrap();
        env
    }

    /// `vast://127.0.0.1:<vms port>`.
    pub fn server_name(&self) -> String {
        format!("vast://{}", self.sim.vms_addr())
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The binary with `--config` and no inherited configuration or password.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vast-ost"));
        c.arg("--config")
            .arg(&self.config)
            .env_remove("VAST_OST_CONFIG")
            .env_remove("VAST_OST_SERVER")
            .env_remove("VAST_OST_USER")
            .env_remove("VAST_OST_PASSWORD")
            .stdin(Stdio::null());
        c
    }

    /// Runs `vast-ost --config FILE --password-file PW ARGS...`.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        c.arg("--password-file").arg(&self.password_file).args(args);
        output(c.output().unwrap())
    }

    /// Runs `vast-ost --config FILE ARGS...` with no password source at all.
    pub fn run_without_password(&self, args: &[&str]) -> Run {
        output(self.command().args(args).output().unwrap())
    }

    /// Runs with `stdin` fed to the process.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        use std::io::Write as _;
        let mut c = self.command();
        c.arg("--password-file")
            .arg(&self.password_file)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        let data = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            input.write_all(&data).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        output(out)
    }

    /// The data file of the simulator's object in `bucket` whose key starts with `prefix`.
    pub fn sim_object_path(&self, bucket: &str, prefix: &str) -> PathBuf {
        let dir = self
            .dir
            .path()
            .join("sim/s3/buckets")
            .join(bucket)
            .join("objects");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                if v["key"].as_str().is_some_and(|k| k.starts_with(prefix)) {
                    return path.with_extension("data");
                }
            }
        }
        panic!("no object under {prefix} in {bucket}");
    }

    /// A plugin in this process with the same configuration (to set up states the tool
    /// cannot make, like a pending image).
    pub fn plugin(&self) -> (Arc<ost_core::Plugin>, ost_core::ServerId) {
        let mut config = ost_core::PluginConfig::load(&self.config).unwrap();
        let (_, password) = self.sim.admin_credentials();
        for s in config.servers.values_mut() {
            s.password = Some(password.into());
            s.sweep_on_open = false;
        }
        config.plugin.log_level = "off".to_owned();
        let p = ost_core::Plugin::init(config).unwrap();
        let id = p.open_server(&self.server_name(), None).unwrap();
        (p, id)
    }
}

fn output(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
