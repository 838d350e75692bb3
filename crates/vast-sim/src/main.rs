//! `vast-sim`: runs a simulated VAST cluster until stopped, printing one JSON line with its
//! addresses and seeded admin credentials.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vast_sim::{ChecksumHeaders, ConditionalCreate, Profile, QuotaAnswer, SimConfig, VastSim};

/// A VAST cluster's VMS REST API and S3 endpoint on loopback.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Directory holding the cluster's state, objects and TLS certificate.
    #[arg(long)]
    data_dir: PathBuf,
    /// Address of the VMS REST API.
    #[arg(long, default_value = "127.0.0.1:0")]
    vms_addr: SocketAddr,
    /// Address of the S3 endpoint.
    #[arg(long, default_value = "127.0.0.1:0")]
    s3_addr: SocketAddr,
    /// Serve both faces over HTTPS with a self-signed certificate written to the data dir.
    #[arg(long)]
    tls: bool,
    /// Lifetime of JWT access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    access_token_ttl: u64,
    /// Lifetime of JWT refresh tokens, in seconds.
    #[arg(long, default_value_t = 86400)]
    refresh_token_ttl: u64,
    /// The VAST release whose VMS API rules to enforce: `5.3` or `5.5`.
    #[arg(long, default_value_t = Profile::default())]
    profile: Profile,
    /// What S3 writes carrying `If-None-Match: *` get.
    #[arg(long, value_enum, default_value_t = ConditionalCreate::Honour)]
    conditional_create: ConditionalCreate,
    /// What S3 requests carrying flexible-checksum headers (`x-amz-checksum-*`) get.
    #[arg(long, value_enum, default_value_t = ChecksumHeaders::Accept)]
    checksum_headers: ChecksumHeaders,
    /// The answer to an S3 write past a full quota.
    #[arg(long, value_enum, default_value_t = QuotaAnswer::QuotaExceeded)]
    quota_answer: QuotaAnswer,
    /// How many VIPs the S3 face serves on: 127.0.0.1 ..= 127.0.0.N, one port.
    #[arg(long, default_value_t = 1)]
    s3_vips: usize,
    /// The cluster's data-reduction ratio (logical / physical bytes), e.g. 3.5.
    #[arg(long, default_value_t = 1.0)]
    data_reduction: f64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VAST_SIM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = SimConfig {
        data_dir: args.data_dir,
        vms_addr: args.vms_addr,
        s3_addr: args.s3_addr,
        tls: args.tls,
        access_token_ttl: Duration::from_secs(args.access_token_ttl),
        refresh_token_ttl: Duration::from_secs(args.refresh_token_ttl),
        profile: args.profile,
        conditional_create: args.conditional_create,
        checksum_headers: args.checksum_headers,
        quota_answer: args.quota_answer,
        s3_vips: args.s3_vips,
        data_reduction: args.data_reduction,
        ..SimConfig::default()
    };
    let sim = match VastSim::start(config).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("vast-sim: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", sim.startup_info());
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("vast-sim: waiting for a stop signal: {error}");
    }
    sim.shutdown();
    ExitCode::SUCCESS
}
