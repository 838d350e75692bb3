//! The backup data path on S3: moves an image's bytes between the caller and segment objects.
//!
//! It knows S3 and bytes, nothing of OST: callers give it keys (an [`ImageLocation`]), not image
//! names. The pieces:
//!
//! - [`S3ClientBuilder`] / [`S3Client`]: the aws-sdk-s3 client for a VAST endpoint (path style,
//!   `us-east-1`, swappable keys, CA bundle or insecure TLS, timeouts, retries).
//! - [`BufferBudget`]: one memory budget for every buffer of the process, with back-pressure.
//! - [`SegmentedWriter`]: streaming writes into segment objects via concurrent multipart uploads.
//! - [`ImageReader`]: reads at any offset, with a read-ahead pipeline for sequential restores.
//! - [`objects`]: small objects stored and read whole, with ETag conditions.
//! - [`capabilities`]: probes of what the endpoint does with conditional creates and checksum
//!   headers, and the [`S3Modes`] a client follows.
//! - [`copy`], [`delete`], [`listing`], [`buckets`] (tags included), [`multipart`] (stale-upload
//!   sweeps with a dry run): the other calls an OST plugin needs.
//! - [`Throttle`]: a fair byte-rate limit the requests carrying image bytes wait for before
//!   they are sent ([`S3ClientBuilder::throttles`]).
//!
//! It is the only code of the workspace that talks S3: ost-core reaches the cluster's data
//! through it (`cargo xtask layering` keeps the S3 SDK out of ost-core).
//!
//! See `README.md` of this crate for the defaults and why they were chosen.
//!
//! ```no_run
//! use vast_s3_data::{BufferBudget, ImageLocation, ImageReader, ReaderConfig, S3ClientBuilder,
//!     SegmentedWriter, TlsOptions, WriterConfig};
//!
//! # async fn demo(pem: Vec<u8>) -> vast_s3_data::Result<()> {
//! let client = S3ClientBuilder::new("https://10.0.0.1", "ACCESS", "SECRET")
//!     .tls(TlsOptions::CaBundle(pem))
//!     .build()?;
//! let budget = BufferBudget::new(512 << 20); // one per process
//! let image = ImageLocation::with_prefix("nbu-lsu1", "netbackup/client_1700000000/20260101/data/");
//!
//! let mut writer = SegmentedWriter::new(client.clone(), budget.clone(), image.clone(),
//!     WriterConfig::default())?;
//! writer.write(0, b"backup bytes").await?;
//! let summary = writer.finish().await?; // length + CRC32C for the metadata document
//!
//! let mut reader = ImageReader::new(client, budget, image, WriterConfig::default().segment_size,
//!     summary.length, ReaderConfig::default())?;
//! let bytes = reader.read_at(0, 6).await?;
//! assert_eq!(bytes, b"backup");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod actions;
pub mod buckets;
pub mod budget;
pub mod capabilities;
pub mod checksum;
pub mod client;
pub mod copy;
pub mod delete;
pub mod error;
pub mod keys;
pub mod layout;
pub mod listing;
pub mod multipart;
pub mod object_lock;
pub mod objects;
pub mod reader;
pub mod throttle;
pub mod writer;

pub use actions::DATA_PATH_ACTIONS;
pub use budget::{BudgetStats, BufferBudget};
pub use capabilities::{ChecksumMode, ConditionalCreate, S3Modes};
pub use client::{S3Client, S3ClientBuilder, SwappableCredentials, Throttles, TlsOptions};
pub use error::{DataError, Result};
pub use keys::ImageLocation;
pub use layout::Layout;
pub use reader::{ImageReader, ReaderConfig};
pub use throttle::Throttle;
pub use writer::{Checkpoint, FlushPoint, SegmentedWriter, WriteSummary, WriterConfig};
