//! `cargo xtask layering`: the crate layers of docs/ARCHITECTURE.md, checked on the manifests.
//!
//! Layers only point down: ffi -> ost-core -> (vast-vms-client, vast-s3-data) -> vast-tls, and
//! ost-model below ost-core.
//! The check reads `cargo metadata --no-deps` (each workspace crate with the dependencies its
//! manifest declares, and their kind) and fails, naming the crate, the dependency, its kind and
//! the rule, when a crate depends on what its layer must not:
//!
//! - the clients (vast-vms-client, vast-s3-data) on any `ost-*` crate or on each other, in any
//!   kind: they know nothing of OST, and their tests stand alone against vast-sim;
//! - vast-tls (the clients' shared TLS trust) on any other crate of ours, as a normal or build
//!   dependency: it sits below both clients;
//! - ost-model on an I/O crate ([`IO_CRATES`]), as a normal or build dependency: it is the pure
//!   model (its tests may use what they like);
//! - ost-core on the S3 SDK or an HTTP stack (`aws-*`, `hyper*`, ...) in any kind: S3 is reached
//!   through vast-s3-data only, tests included;
//! - ost-ffi on anything but ost-core, ost-model, libc and tracing as a normal dependency (build
//!   and dev dependencies are free: they do not end up in the library);
//! - vast-sim as anything but a dev-dependency (it is a test stand-in; [`SIM_ALLOWED`] lists the
//!   exceptions, none today).

use std::collections::BTreeSet;
use std::fmt;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::command::cargo;

/// The two client crates.
const CLIENTS: &[&str] = &["vast-vms-client", "vast-s3-data"];

/// Crates that do I/O (network, TLS, async runtimes, system calls); `aws-` names are matched by
/// prefix (see [`is_io_crate`]). Our own I/O crates are in the list too.
const IO_CRATES: &[&str] = &[
    "tokio",
    "tokio-util",
    "tokio-rustls",
    "tokio-stream",
    "async-std",
    "smol",
    "mio",
    "socket2",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "h2",
    "http",
    "http-body",
    "http-body-util",
    "reqwest",
    "ureq",
    "rustls",
    "rustls-native-certs",
    "native-tls",
    "openssl",
    "libc",
    "nix",
    "s3s",
    "vast-vms-client",
    "vast-s3-data",
    "vast-sim",
    "vast-tls",
    "ost-core",
];

/// The crates of this workspace a lower layer could wrongly point up to (besides `ost-*`).
const OURS: &[&str] = &["vast-vms-client", "vast-s3-data", "vast-sim", "vast-tls"];

/// What ost-ffi may depend on (normal dependencies).
const FFI_ALLOWED: &[&str] = &["ost-core", "ost-model", "libc", "tracing"];

/// Crates allowed to depend on vast-sim as a normal or build dependency. None: the demo, the
/// benchmarks and the compatibility scripts start the vast-sim *binary*, built by
/// `cargo build -p vast-sim` (xtask/src/harness.rs, tests/compat/run), as its own process; no
/// crate links the simulator outside its tests. A crate that must embed it goes here, with why.
const SIM_ALLOWED: &[&str] = &[];

/// How a dependency is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `[dependencies]`.
    Normal,
    /// `[dev-dependencies]`.
    Dev,
    /// `[build-dependencies]`.
    Build,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Normal => "dependency",
            Kind::Dev => "dev-dependency",
            Kind::Build => "build-dependency",
        })
    }
}

/// One declared dependency of a workspace crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    /// The workspace crate (package name).
    pub(crate) from: String,
    /// The crate it depends on (package name, not its rename).
    pub(crate) to: String,
    /// How.
    pub(crate) kind: Kind,
}

/// The declared dependencies of every package in `cargo metadata` output.
pub(crate) fn edges(metadata: &Value) -> Result<Vec<Edge>> {
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata: no `packages` array")?;
    let mut out = Vec::new();
    for package in packages {
        let from = package["name"]
            .as_str()
            .context("cargo metadata: a package without a name")?;
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let to = dep["name"].as_str().with_context(|| {
                format!("cargo metadata: a dependency of {from} without a name")
            })?;
            let kind = match dep["kind"].as_str() {
                None => Kind::Normal,
                Some("dev") => Kind::Dev,
                Some("build") => Kind::Build,
                Some(other) => bail!("cargo metadata: dependency kind {other:?} of {from} -> {to}"),
            };
            out.push(Edge {
                from: from.to_owned(),
                to: to.to_owned(),
                kind,
            });
        }
    }
    Ok(out)
}

/// Whether `name` is an I/O crate ([`IO_CRATES`], or any `aws-*`).
fn is_io_crate(name: &str) -> bool {
    IO_CRATES.contains(&name) || name.starts_with("aws-")
}

/// What the S3 SDK and HTTP stacks are called (ost-core must not name them).
fn is_sdk_or_http(name: &str) -> bool {
    name.starts_with("aws-")
        || name.starts_with("hyper")
        || matches!(name, "h2" | "http" | "reqwest" | "s3s")
}

/// The rule an edge breaks, if any.
fn broken_rule(e: &Edge) -> Option<&'static str> {
    let shipped = matches!(e.kind, Kind::Normal | Kind::Build);
    if e.to == "vast-sim" && shipped && !SIM_ALLOWED.contains(&e.from.as_str()) {
        return Some("vast-sim is a test stand-in: dev-dependencies only");
    }
    if CLIENTS.contains(&e.from.as_str())
        && (e.to.starts_with("ost-") || (CLIENTS.contains(&e.to.as_str()) && e.to != e.from))
    {
        return Some("the clients know nothing of OST nor of each other, tests included");
    }
    match e.from.as_str() {
        "vast-tls" if shipped && (e.to.starts_with("ost-") || OURS.contains(&e.to.as_str())) => {
            Some("vast-tls sits below both clients: no other crate of ours")
        }
        "ost-model" if shipped && is_io_crate(&e.to) => {
            Some("ost-model is the pure model: no I/O crate")
        }
        "ost-core" if is_sdk_or_http(&e.to) => Some(
            "ost-core reaches S3 through vast-s3-data and VMS through vast-vms-client only, \
             tests included",
        ),
        "ost-ffi" if e.kind == Kind::Normal && !FFI_ALLOWED.contains(&e.to.as_str()) => {
            Some("ffi only marshals: ost-core, ost-model, libc and tracing")
        }
        _ => None,
    }
}

/// Every edge that breaks a layering rule, as one line each (sorted, no repeats).
pub(crate) fn violations(edges: &[Edge]) -> Vec<String> {
    edges
        .iter()
        .filter_map(|e| {
            broken_rule(e).map(|rule| format!("{} has {} as a {}: {rule}", e.from, e.to, e.kind))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Runs the check on this workspace.
pub(crate) fn run() -> Result<()> {
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let metadata: Value =
        serde_json::from_slice(&out.stdout).context("reading cargo metadata's output")?;
    let edges = edges(&metadata)?;
    let found = violations(&edges);
    if !found.is_empty() {
        bail!(
            "layering: {} dependenc{} break the crate layers (docs/ARCHITECTURE.md):\n  {}",
            found.len(),
            if found.len() == 1 { "y" } else { "ies" },
            found.join("\n  ")
        );
    }
    eprintln!(
        "layering: {} declared dependencies, all within their layer",
        edges.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// One package of a synthetic graph: its name and its `(dependency, kind)` pairs.
    type Package<'a> = (&'a str, &'a [(&'a str, Option<&'a str>)]);

    /// A metadata document of one package per `(name, [(dep, kind)])`.
    fn metadata(packages: &[Package<'_>]) -> Value {
        json!({
            "packages": packages.iter().map(|(name, deps)| json!({
                "name": name,
                "dependencies": deps.iter().map(|(d, k)| json!({"name": d, "kind": k}))
                    .collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    fn check(packages: &[Package<'_>]) -> Vec<String> {
        violations(&edges(&metadata(packages)).unwrap())
    }

    /// The workspace as it is meant to be: every layer pointing down, vast-sim in tests only.
    const CLEAN: &[Package<'static>] = &[
        ("ost-model", &[("serde", None), ("proptest", Some("dev"))]),
        (
            "vast-s3-data",
            &[
                ("aws-sdk-s3", None),
                ("hyper", None),
                ("vast-tls", None),
                ("vast-sim", Some("dev")),
            ],
        ),
        (
            "vast-vms-client",
            &[
                ("hyper", None),
                ("vast-tls", None),
                ("vast-sim", Some("dev")),
            ],
        ),
        ("vast-tls", &[("rustls", None), ("tracing", None)]),
        (
            "ost-core",
            &[
                ("ost-model", None),
                ("vast-s3-data", None),
                ("vast-vms-client", None),
                ("tokio", None),
                ("vast-sim", Some("dev")),
            ],
        ),
        (
            "ost-ffi",
            &[
                ("ost-core", None),
                ("ost-model", None),
                ("libc", None),
                ("tracing", None),
                ("cbindgen", Some("build")),
                ("vast-sim", Some("dev")),
                ("vast-s3-data", Some("dev")),
            ],
        ),
        ("vast-sim", &[("s3s", None), ("hyper", None)]),
        ("xtask", &[("ost-model", None), ("cbindgen", None)]),
    ];

    #[test]
    fn a_clean_graph_passes() {
        assert_eq!(check(CLEAN), Vec::<String>::new());
    }

    #[test]
    fn each_rule_reports_its_violation() {
        let cases: &[(&str, &str, Option<&str>, &str)] = &[
            (
                "vast-s3-data",
                "ost-model",
                None,
                "the clients know nothing of OST",
            ),
            (
                "vast-vms-client",
                "vast-s3-data",
                Some("dev"),
                "nor of each other",
            ),
            ("ost-model", "tokio", None, "ost-model is the pure model"),
            ("ost-model", "vast-tls", None, "ost-model is the pure model"),
            ("vast-tls", "vast-s3-data", None, "vast-tls sits below"),
            ("vast-tls", "ost-model", None, "vast-tls sits below"),
            (
                "ost-model",
                "aws-config",
                Some("build"),
                "ost-model is the pure model",
            ),
            (
                "ost-core",
                "aws-sdk-s3",
                None,
                "ost-core reaches S3 through vast-s3-data",
            ),
            (
                "ost-core",
                "aws-smithy-types",
                Some("dev"),
                "ost-core reaches S3",
            ),
            ("ost-core", "hyper-util", None, "ost-core reaches S3"),
            ("ost-ffi", "serde_json", None, "ffi only marshals"),
            ("ost-ffi", "vast-s3-data", None, "ffi only marshals"),
            (
                "vast-ost-cli",
                "vast-sim",
                None,
                "vast-sim is a test stand-in",
            ),
            (
                "ost-ffi",
                "vast-sim",
                Some("build"),
                "vast-sim is a test stand-in",
            ),
        ];
        for (from, to, kind, rule) in cases {
            let mut packages = CLEAN.to_vec();
            let extra = [(*to, *kind)];
            packages.push((from, &extra));
            let found = check(&packages);
            assert_eq!(found.len(), 1, "{from} -> {to}: {found:?}");
            assert!(
                found[0].starts_with(&format!("{from} has {to} as a ")) && found[0].contains(rule),
                "{from} -> {to}: {}",
                found[0]
            );
        }
    }

    #[test]
    fn dev_and_build_dependencies_are_judged_by_their_kind() {
        // Free for tests and build scripts: ffi's test helpers, ost-model's test I/O.
        assert!(check(&[(
            "ost-ffi",
            &[("serde_json", Some("dev")), ("cc", Some("build"))]
        )])
        .is_empty());
        assert!(check(&[("ost-model", &[("tokio", Some("dev"))])]).is_empty());
        assert_eq!(
            check(&[("ost-model", &[("tokio", None)])]),
            ["ost-model has tokio as a dependency: ost-model is the pure model: no I/O crate"]
        );
    }

    #[test]
    fn an_unknown_dependency_kind_is_an_error_not_a_pass() {
        let m = json!({"packages": [{"name": "ost-core", "dependencies": [
            {"name": "aws-sdk-s3", "kind": "weird"}]}]});
        assert!(edges(&m).is_err());
        assert!(edges(&json!({})).is_err());
    }
}
