//! Lists the cluster, tenants and buckets of a VMS.
//!
//! ```text
//! VMS_PASSWORD=123456 cargo run -p vast-vms-client --example vms -- https://vms.example.com \
//!     --user admin --ca-bundle /etc/vast/vms-ca.pem
//! ```

use clap::Parser;
use vast_vms_client::{Query, VmsClient};

/// List the cluster, tenants and buckets of a VAST VMS.
#[derive(Parser)]
struct Args {
    /// VMS URL, e.g. https://vms.example.com
    url: String,
    /// VMS user name.
    #[arg(long, default_value = "admin")]
    user: String,
    /// Password (read from the environment so it stays out of the process list).
    #[arg(long, env = "VMS_PASSWORD", hide_env_values = true)]
    password: String,
    /// PEM CA bundle to verify the VMS certificate with.
    #[arg(long)]
    ca_bundle: Option<std::path::PathBuf>,
    /// Skip certificate verification (dangerous).
    #[arg(long)]
    insecure: bool,
    /// API version segment.
    #[arg(long, default_value = "latest")]
    api_version: String,
    /// Scope every call to this tenant.
    #[arg(long)]
    tenant: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut builder = VmsClient::builder(&args.url)
        .password(&args.user, args.password)
        .api_version(&args.api_version)
        .insecure(args.insecure);
    if let Some(ca) = &args.ca_bundle {
        builder = builder.ca_bundle(ca);
    }
    if let Some(tenant) = &args.tenant {
        builder = builder.tenant(tenant);
    }
    let client = builder.build()?;

    let cluster = client.cluster().await?;
    println!(
        "cluster {} (id {}): {} {}, state {}",
        cluster.name,
        cluster.id,
        cluster.sw_version.as_deref().unwrap_or("?"),
        cluster.build.as_deref().unwrap_or(""),
        cluster.state.as_deref().unwrap_or("?"),
    );
    if let (Some(total), Some(free)) = (cluster.usable_capacity_bytes, cluster.free_usable_capacity)
    {
        println!("  usable capacity {total} bytes, {free} free");
    }

    let tenants = client.tenants().list(&Query::new()).await?;
    println!("tenants ({}):", tenants.len());
    for tenant in &tenants {
        println!("  {:>4}  {}", tenant.id, tenant.name);
    }

    let buckets = client.views().buckets().await?;
    println!("buckets ({}):", buckets.len());
    for view in &buckets {
        println!(
            "  {:>4}  {:<32} owner {:<16} tenant {:<4} path {}",
            view.id,
            view.bucket.as_deref().unwrap_or("?"),
            view.bucket_owner.as_deref().unwrap_or("?"),
            view.tenant_id
                .map_or_else(|| "-".to_owned(), |t| t.to_string()),
            view.path,
        );
    }

    client.close().await?;
    Ok(())
}
