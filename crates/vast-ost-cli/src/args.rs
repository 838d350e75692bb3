//! The command line: global options and one subcommand per job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// vast-ost: does the VAST storage server work for NetBackup, and how fast?
///
/// Passwords are never taken from the command line: use --password-file, the
/// VAST_OST_PASSWORD environment variable, or answer the prompt.
#[derive(Debug, Parser)]
#[command(name = "vast-ost", version, propagate_version = true)]
pub(crate) struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub(crate) global: Global,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Plugin configuration file (TOML); default: $VAST_OST_CONFIG, else the plugin's default
    /// path when it exists, else built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Storage server (`vast://HOST[:PORT]`) for lsu/image/backup/restore/sweep; default: the
    /// only server of the configuration file.
    #[arg(
        long,
        global = true,
        env = "VAST_OST_SERVER",
        value_name = "vast://HOST"
    )]
    pub(crate) server: Option<String>,
    /// VMS user name (default: the configuration's `username`).
    #[arg(long, global = true, env = "VAST_OST_USER", value_name = "USER")]
    pub(crate) user: Option<String>,
    /// File holding the VMS password (first line). Also: VAST_OST_PASSWORD, or a prompt.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// PEM file of CA certificates trusted for VMS and S3 (overrides the configuration).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) ca_bundle: Option<PathBuf>,
    /// Accept any certificate (labs only).
    #[arg(long, global = true)]
    pub(crate) insecure: bool,
    /// Directory of the plugin's persistent state (stored S3 key); overrides the configuration.
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Print JSON (one document on stdout) instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Log the plugin's own messages to stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Set up the cluster side once with a VMS administrator's password (tenant, S3 user, view
    /// policy, default LSU, stored S3 key) and issue the VMS API token the plugin uses from
    /// then on instead of the password.
    Bootstrap(BootstrapArgs),
    /// Run the whole open-server path step by step and say what to fix.
    Check {
        /// The storage server, `vast://HOST[:PORT]`.
        server: String,
    },
    /// LSUs (buckets) of the storage server.
    #[command(subcommand)]
    Lsu(LsuCommand),
    /// Backup images in an LSU.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Write FILE (or stdin with `-`) as a new complete image.
    Backup {
        /// The LSU.
        lsu: String,
        /// Image name, `NAME` or `NAME@YYYYMMDDhhmmss` (default date: now, UTC).
        image: String,
        /// The data: a file, or `-` for stdin.
        file: String,
    },
    /// Read an image back into FILE (or stdout with `-`).
    Restore {
        /// The LSU.
        lsu: String,
        /// Image, `NAME` (when only one image has that name) or `NAME@YYYYMMDDhhmmss`.
        image: String,
        /// Where to write: a file, or `-` for stdout.
        file: String,
    },
    /// Write and read synthetic images and measure throughput, latency, CPU and memory.
    Bench(BenchArgs),
    /// Remove orphans (pending images and stale uploads) of an LSU.
    Sweep {
        /// The LSU.
        lsu: String,
        /// Age from which a pending image or upload is an orphan (`30s`, `15m`, `24h`, `7d`).
        #[arg(long, default_value = "24h", value_name = "AGE")]
        older_than: String,
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Bandwidth limits of this media server's plugin processes, changed while they run.
    #[command(subcommand)]
    Bandwidth(BandwidthCommand),
}

/// `vast-ost bootstrap ...`
#[derive(Debug, Args)]
pub(crate) struct BootstrapArgs {
    /// The storage server, `vast://HOST[:PORT]` (default: --server, else the configuration's
    /// only server).
    pub(crate) server: Option<String>,
    /// Where to write the API token (mode 0600); default: <state_dir>/tokens/<server>.token.
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
    /// Token lifetime: a number and a unit, `Y` `M` `w` `d` `h` (VMS caps it at its
    /// password-expiration timeout).
    #[arg(long, default_value = "365d", value_name = "AGE")]
    pub(crate) token_expiry: String,
    /// Token name on VMS (default: vast-ost@<this host>).
    #[arg(long, value_name = "NAME")]
    pub(crate) token_name: Option<String>,
    /// Replace an existing token file (the old token stays valid on VMS until it expires or
    /// is revoked).
    #[arg(long)]
    pub(crate) force: bool,
    /// Set up the cluster side only; issue no token.
    #[arg(long)]
    pub(crate) no_token: bool,
}

/// `vast-ost lsu ...`
#[derive(Debug, Subcommand)]
pub(crate) enum LsuCommand {
    /// Every LSU with capacity, use and label.
    List,
    /// One LSU in detail.
    Show {
        /// The LSU.
        name: String,
    },
    /// Create an LSU (a bucket view owned by the plugin's S3 user).
    Create {
        /// The LSU.
        name: String,
        /// A WORM LSU: the view gets WORM locking (S3 object lock, which cannot be turned off)
        /// and every complete image is locked for `--retention` from its creation.
        #[arg(long, requires_all = ["mode", "retention"])]
        worm: bool,
        /// WORM mode: `governance` (an administrator can still delete with
        /// `image delete --bypass-governance`) or `compliance` (no one can, until the date).
        #[arg(long, requires = "worm")]
        mode: Option<String>,
        /// WORM retention from an image's creation: `<n>s|h|d|y`, e.g. `30d`.
        #[arg(long, requires = "worm")]
        retention: Option<String>,
    },
    /// Set an LSU's label.
    Label {
        /// The LSU.
        name: String,
        /// The label.
        text: String,
    },
}

/// `vast-ost image ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ImageCommand {
    /// Images of an LSU.
    List {
        /// The LSU.
        lsu: String,
        /// Only images whose name starts with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Include pending (unfinished) images.
        #[arg(long)]
        pending: bool,
    },
    /// One image in detail (from its descriptor).
    Show {
        /// The LSU.
        lsu: String,
        /// `NAME` or `NAME@YYYYMMDDhhmmss`.
        image: String,
    },
    /// Delete an image (data, descriptor and metadata).
    Delete {
        /// The LSU.
        lsu: String,
        /// `NAME` or `NAME@YYYYMMDDhhmmss`.
        image: String,
        /// On a governance-mode WORM LSU, delete an image that is still locked (S3's governance
        /// bypass; refused in compliance mode). Asks for confirmation; logged.
        #[arg(long)]
        bypass_governance: bool,
        /// Do not ask for confirmation (with `--bypass-governance`).
        #[arg(long, requires = "bypass_governance")]
        yes: bool,
    },
    /// Re-read an image and check its stored checksum.
    Verify {
        /// The LSU.
        lsu: String,
        /// `NAME` or `NAME@YYYYMMDDhhmmss`.
        image: String,
    },
}

/// `vast-ost bench ...`
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The storage server, `vast://HOST[:PORT]`.
    pub(crate) server: String,
    /// The LSU to write the synthetic images to (they are deleted afterwards).
    pub(crate) lsu: String,
    /// Size of each stream's image (`512M`, `4G`, ...).
    #[arg(long, default_value = "4G")]
    pub(crate) size: String,
    /// Images written (then read) at the same time.
    #[arg(long, default_value_t = 4)]
    pub(crate) streams: usize,
    /// Bytes per write/read call, as NetBackup's buffer size (`256K`, `1M`, ...).
    #[arg(long, default_value = "1M")]
    pub(crate) block: String,
    /// Keep the images instead of deleting them.
    #[arg(long)]
    pub(crate) keep: bool,
}

/// `vast-ost config ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate a configuration file and print the effective values.
    Check {
        /// The file (default: --config, $VAST_OST_CONFIG, else the plugin's default path).
        file: Option<PathBuf>,
    },
}

/// `vast-ost bandwidth ...`: the run-time override file `<state_dir>/bandwidth/<server>.toml`,
/// which every plugin process of this state directory applies within a second.
#[derive(Debug, Subcommand)]
pub(crate) enum BandwidthCommand {
    /// The limits in force now, from the configuration and the run-time override.
    Show,
    /// Set run-time limits (MiB/s, 0: unlimited) over the configuration's, for every plugin
    /// process of this media server, running ones included.
    Set {
        /// Write limit, MiB/s (0: unlimited).
        #[arg(long, value_name = "MIB_S")]
        write: Option<u64>,
        /// Read limit, MiB/s (0: unlimited).
        #[arg(long, value_name = "MIB_S")]
        read: Option<u64>,
        /// Write limits by local time of day, "HH:MM-HH:MM=MIB,...,*=MIB" ("" removes it).
        #[arg(long, value_name = "SCHEDULE")]
        write_schedule: Option<String>,
        /// Read limits by local time of day, "HH:MM-HH:MM=MIB,...,*=MIB" ("" removes it).
        #[arg(long, value_name = "SCHEDULE")]
        read_schedule: Option<String>,
    },
    /// Remove the run-time override: the configuration's limits apply again.
    Clear,
}
