//! Image arguments: `NAME` or `NAME@YYYYMMDDhhmmss`.

use ost_core::{ImageDef, ImageFilter, ImageId, LsuName, Plugin, ServerId};
use ost_model::{ImageDate, ImageName};

use crate::error::{CliError, Context as _};

/// A parsed image argument.
#[derive(Debug, Clone)]
pub(crate) struct ImageRef {
    /// The base name.
    pub(crate) name: ImageName,
    /// The date, when given.
    pub(crate) date: Option<ImageDate>,
}

/// Parses `NAME[@YYYYMMDDhhmmss]`.
pub(crate) fn parse(text: &str) -> Result<ImageRef, CliError> {
    let (name, date) = match text.rsplit_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (text, None),
    };
    let name = ImageName::new(name)
        .map_err(|e| CliError::usage(format!("image name {name:?}"), e.to_string()))?;
    let date = date
        .map(|d| {
            d.parse::<ImageDate>().map_err(|e| {
                CliError::usage(format!("image date {d:?}"), e.to_string())
                    .hint("dates are YYYYMMDDhhmmss (UTC)")
            })
        })
        .transpose()?;
    Ok(ImageRef { name, date })
}

/// The definition of a new image: the given date, else now (UTC).
pub(crate) fn new_def(text: &str) -> Result<ImageDef, CliError> {
    let r = parse(text)?;
    let date = match r.date {
        Some(d) => d,
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            ImageDate::from_unix_seconds(now)
                .map_err(|e| CliError::new("today's date", e.to_string()))?
        }
    };
    Ok(ImageDef::new(r.name, date))
}

/// The id of an existing image: the given date, else the only image of that name.
pub(crate) fn resolve(
    plugin: &Plugin,
    server: ServerId,
    lsu: &LsuName,
    text: &str,
) -> Result<ImageId, CliError> {
    let r = parse(text)?;
    if let Some(date) = r.date {
        return Ok(ImageId::new(r.name, date));
    }
    let filter = ImageFilter {
        basename_prefix: Some(r.name.as_str().to_owned()),
        include_pending: true,
        ..ImageFilter::default()
    };
    let found: Vec<ImageId> = plugin
        .list_images(server, lsu, &filter)
        .doing(|| format!("looking up image {} in {lsu}", r.name))?
        .into_iter()
        .map(|i| i.def.id())
        .filter(|id| id.basename == r.name)
        .collect();
    match found.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(CliError::new(
            format!("image {} in {lsu}", r.name),
            "no image of that name",
        )
        .hint(format!(
            "`vast-ost image list {lsu} --pending` shows every image"
        ))),
        many => Err(CliError::usage(
            format!("image {} in {lsu}", r.name),
            format!(
                "{} images have that name: {}",
                many.len(),
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .hint("name one as NAME@YYYYMMDDhhmmss")),
    }
}

/// An LSU argument.
pub(crate) fn lsu(text: &str) -> Result<LsuName, CliError> {
    LsuName::new(text).map_err(|e| {
        CliError::usage(format!("LSU name {text:?}"), e.to_string())
            .hint("LSU names follow S3 bucket rules: 3-63 lower-case letters, digits, '-' and '.'")
    })
}
