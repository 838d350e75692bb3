//! The reliability suite's fixture on top of [`super::Env`]: the reliability C driver
//! (`tests/reliability/rel_driver.c`), drivers run as interactive child processes, the
//! simulator's fault plan and counters, and a direct S3 view of the LSU bucket.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};

use vast_sim::faults::FaultConfig;

use super::{compile_c, library, Env};

/// The LSU (bucket) every test uses: the plugin's default.
pub const BUCKET: &str = "netbackup-pool-01";
/// The date every driver image carries (`image_def` in driver.c).
pub const DATE: &str = "20261125120000";
pub const MIB: u64 = 1 << 20;

/// The status codes the suite names (from ost-model's table via the header).
pub const EOK: i32 = 0;
pub const EINVAL: i32 = 2_060_001;
pub const ENOENT: i32 = 2_060_013;
pub const ENET: i32 = 2_060_019;
pub const EEXIST: i32 = 2_060_902;
pub const ENOSPC: i32 = 2_060_904;
pub const EBUSY: i32 = 2_060_905;

impl Env {
    /// Compiles the reliability driver (once per environment).
    pub fn rel_driver(&self) -> PathBuf {
        let path = self.dir.path().join("rel_driver");
        if !path.exists() {
            compile_c(
                self.dir.path(),
                "tests/reliability/rel_driver.c",
                "rel_driver",
            );
        }
        path
    }

    fn rel_command(&self, args: &[&str]) -> Command {
        let (user, password) = self.sim.admin_credentials();
        let mut cmd = Command::new(self.rel_driver());
        cmd.arg(library())
            .arg(self.server_name())
            .args(args)
            .env("VAST_OST_CONFIG", &self.config)
            .env("VAST_OST_USER", user)
            .env("VAST_OST_PASSWORD", password)
            .env("REL_TIMEOUT", "300");
        cmd
    }

    /// Runs the reliability driver to its end, printing its output.
    pub fn rel(&self, args: &[&str]) -> Output {
        self.rel_env(args, &[])
    }

    /// As [`Env::rel`], but the driver passes NetBackup no credentials at all.
    pub fn rel_without_credentials(&self, args: &[&str]) -> Output {
        let mut cmd = self.rel_command(args);
        cmd.env_remove("VAST_OST_USER")
            .env_remove("VAST_OST_PASSWORD");
        finish_run(args, &mut cmd)
    }

    /// As [`Env::rel`] with extra environment variables.
    pub fn rel_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = self.rel_command(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        finish_run(args, &mut cmd)
    }

    /// Starts the reliability driver with stdin and stdout piped (pause/resume, races, kills).
    pub fn spawn_rel(&self, args: &[&str], vars: &[(&str, &str)]) -> Driver {
        let mut cmd = self.rel_command(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Driver {
            name: args.join(" "),
            log: self.log.clone(),
            child,
            stdin,
            stdout,
            seen: String::new(),
        }
    }

    /// Replaces the simulator's fault plan, printing it.
    pub fn set_faults(&self, plan: FaultConfig) {
        println!("INJECT faults: {}", serde_json::to_string(&plan).unwrap());
        self.sim.faults().set(plan);
    }

    /// The simulator's counters.
    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.sim.faults().stats()
    }

    /// One counter of the simulator.
    pub fn stat(&self, name: &str) -> u64 {
        self.sim.faults().counter(name)
    }

    /// The S3 key file the plugin stored (after its first open): `user_id`, `access_key`,
    /// `secret_key`.
    pub fn stored_key(&self) -> serde_json::Value {
        let dir = self.dir.path().join("state").join("keys");
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.path().extension().is_some_and(|x| x == "json"))
            .unwrap()
            .path();
        serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
    }

    /// An S3 client with the key the plugin stored (after its first open).
    pub fn s3(&self) -> vast_s3_data::S3Client {
        let v = self.stored_key();
        self.s3_with(
            v["access_key"].as_str().unwrap(),
            v["secret_key"].as_str().unwrap(),
        )
    }

    /// An S3 client on the simulator with the given key.
    pub fn s3_with(&self, access_key: &str, secret_key: &str) -> vast_s3_data::S3Client {
        let _guard = self.rt.enter();
        let mut builder =
            vast_s3_data::S3ClientBuilder::new(self.sim.s3_url(), access_key, secret_key);
        if let Some(ca) = self.sim.ca_cert_path() {
            builder = builder.tls(vast_s3_data::TlsOptions::CaBundle(
                std::fs::read(ca).unwrap(),
            ));
        }
        builder.build().unwrap()
    }

    /// The S3 secret key the plugin stored.
    pub fn stored_secret_key(&self) -> String {
        self.stored_key()["secret_key"].as_str().unwrap().to_owned()
    }

    /// A VMS client logged in as the simulator's administrator.
    pub fn vms_admin(&self) -> vast_vms_client::VmsClient {
        let (user, password) = self.sim.admin_credentials();
        let mut builder = vast_vms_client::VmsClient::builder(self.sim.vms_url())
            .password(user, password.to_owned());
        if let Some(ca) = self.sim.ca_cert_path() {
            builder = builder.ca_bundle(ca);
        }
        builder.build().unwrap()
    }

    /// Adds `key = value` (a TOML value) to the plugin's server section.
    pub fn add_server_key(&self, key: &str, value: &str) {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.config)
            .unwrap();
        writeln!(f, "{key} = {value}").unwrap();
        println!("CONFIG {key} = {value}");
    }

    /// Object keys of image `name` in the LSU bucket.
    pub fn image_keys(&self, name: &str) -> Vec<String> {
        let client = self.s3();
        let prefix = format!("netbackup/{name}/");
        self.rt
            .block_on(vast_s3_data::listing::list_keys(&client, BUCKET, &prefix))
            .unwrap()
    }

    /// Open multipart uploads of image `name`.
    pub fn image_uploads(&self, name: &str) -> usize {
        let client = self.s3();
        let prefix = format!("netbackup/{name}/");
        self.rt
            .block_on(vast_s3_data::multipart::list_uploads(
                &client, BUCKET, &prefix,
            ))
            .unwrap()
            .len()
    }

    /// The descriptor object of image `name`.
    pub fn descriptor_key(name: &str) -> String {
        format!("netbackup/{name}/{DATE}/metadata")
    }

    /// Reads an object of the LSU bucket.
    pub fn get_object(&self, key: &str) -> Vec<u8> {
        let client = self.s3();
        self.rt.block_on(async {
            let out = client
                .sdk()
                .get_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .unwrap();
            out.body.collect().await.unwrap().into_bytes().to_vec()
        })
    }

    /// Overwrites an object of the LSU bucket (corruption tests).
    pub fn put_object(&self, key: &str, body: Vec<u8>) {
        let client = self.s3();
        self.rt.block_on(async {
            client
                .sdk()
                .put_object()
                .bucket(BUCKET)
                .key(key)
                .body(body.into())
                .send()
                .await
                .unwrap();
        });
    }
}

/// Runs a driver command to its end, printing its output.
fn finish_run(args: &[&str], cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    println!(
        "--- rel_driver {} ({})\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    if !err.trim().is_empty() {
        eprintln!("{err}");
    }
    out
}

/// A reliability driver running as a child process.
pub struct Driver {
    name: String,
    /// The plugin's log file (its tail is printed when the driver fails).
    log: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    seen: String,
}

impl Driver {
    /// Reads output lines until one starts with `keyword` (returned); panics at end of output.
    pub fn wait_for(&mut self, keyword: &str) -> String {
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "{}: ended before {keyword}:\n{}\n--- plugin log tail\n{}",
                self.name,
                self.seen,
                super::dur::log_tail(&self.log, 40)
            );
            self.seen.push_str(&line);
            if line.starts_with(keyword) {
                print!("[{}] {line}", self.name);
                return line.trim_end().to_owned();
            }
        }
    }

    /// Lets a paused driver go on.
    pub fn resume(&mut self) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(b"go\n").unwrap();
        stdin.flush().unwrap();
    }

    /// SIGKILL, as a crashing media server process.
    pub fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        println!("INJECT SIGKILL of `{}`", self.name);
        self.seen
    }

    /// Waits for the end; returns exit code and the whole output.
    pub fn finish(mut self) -> (Option<i32>, String) {
        drop(self.stdin.take());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).unwrap();
        self.seen.push_str(&rest);
        let status = self.child.wait().unwrap();
        println!("--- rel_driver {} ({status})\n{}", self.name, self.seen);
        (status.code(), self.seen)
    }
}

/// The driver's stdout.
pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The first line starting with `keyword`, split into its words after the keyword.
pub fn result_line(text: &str, keyword: &str) -> Option<Vec<String>> {
    text.lines().find(|l| l.starts_with(keyword)).map(|l| {
        l[keyword.len()..]
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    })
}

/// The `STATE` line: (state, size, listed, listed complete).
pub fn state_of(text: &str) -> (String, u64, i32, i32) {
    let w = result_line(text, "STATE ").unwrap_or_else(|| panic!("no STATE in:\n{text}"));
    (
        w[0].clone(),
        w[1].parse().unwrap(),
        w[3].parse().unwrap(),
        w[5].parse().unwrap(),
    )
}

/// Restores `name` and asserts it verifies; returns the bytes verified.
pub fn assert_restores(env: &Env, name: &str, size: u64, seed: u64) -> u64 {
    let out = env.rel(&["restore", name, &size.to_string(), &seed.to_string()]);
    let t = text(&out);
    assert!(out.status.success(), "restore failed:\n{t}");
    let w = result_line(&t, "RESTORE_VERIFIED ").unwrap();
    let bytes: u64 = w[0].parse().unwrap();
    assert_eq!(bytes, size);
    println!(
        "CHECKED restore of {name}: {bytes} bytes, checksum {} verified",
        w[1]
    );
    bytes
}

/// Prints the simulator counters whose names start with one of `prefixes`.
pub fn print_stats(env: &Env, prefixes: &[&str]) {
    for (k, v) in env.stats() {
        if prefixes.iter().any(|p| k.starts_with(p)) {
            println!("  sim stat {k} = {v}");
        }
    }
}
