//! Removing what an abandoned write left on the server.

use tokio::task::JoinSet;

use super::{requests, PartResult};
use crate::client::S3Client;
use crate::error::Result;

/// Open uploads to abort and objects to delete, for one image.
pub(super) struct Cleanup {
    client: S3Client,
    bucket: String,
    aborts: Vec<(String, String)>,
    deletes: Vec<String>,
    tasks: Option<JoinSet<Result<PartResult>>>,
}

impl Cleanup {
    pub(super) fn new(client: S3Client, bucket: String) -> Self {
        Self {
            client,
            bucket,
            aborts: Vec::new(),
            deletes: Vec::new(),
            tasks: None,
        }
    }

    /// Adds an upload to abort.
    pub(super) fn abort(&mut self, key: String, upload_id: String) {
        self.aborts.push((key, upload_id));
    }

    /// Adds an object to delete.
    pub(super) fn delete(&mut self, key: String) {
        self.deletes.push(key);
    }

    /// Part uploads still running: told to stop now, and waited for before aborting, so no
    /// part lands after the abort.
    pub(super) fn with_tasks(mut self, mut tasks: JoinSet<Result<PartResult>>) -> Self {
        tasks.abort_all();
        self.tasks = (!tasks.is_empty()).then_some(tasks);
        self
    }

    /// Runs the cleanup; reports the first failure after trying everything.
    pub(super) async fn run(mut self) -> Result<()> {
        if let Some(mut tasks) = self.tasks.take() {
            while tasks.join_next().await.is_some() {}
        }
        let mut first_error = None;
        for (key, id) in &self.aborts {
            if let Err(e) = requests::abort_upload(&self.client, &self.bucket, key, id).await {
                first_error.get_or_insert(e);
            }
        }
        for key in &self.deletes {
            if let Err(e) = requests::delete_object(&self.client, &self.bucket, key).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
