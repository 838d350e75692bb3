//! `/vtasks/`: asynchronous VMS jobs and waiting for them.

use std::time::{Duration, Instant};

use http::Method;
use serde::{Deserialize, Serialize};

use crate::de::{lenient_u64, nullable};
use crate::error::{Call, Error};
use crate::resources::collection::{Collection, Resource};

/// Reference to a task VMS started (`{"async_task": {"id": ...}}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskRef {
    /// The task's id at `/vtasks/<id>/`.
    pub id: u64,
}

impl TaskRef {
    /// Finds `async_task.id` in a mutation's answer.
    pub fn from_answer(answer: &serde_json::Value) -> Option<Self> {
        let task = answer.get("async_task")?;
        let id = task.get("id").unwrap_or(task);
        id.as_u64()
            .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
            .map(|id| Self { id })
    }
}

/// An async task.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VTask {
    /// Task id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Task name.
    pub name: Option<String>,
    /// RUNNING, COMPLETED, FAILED, UNKNOWN, TIMEOUT or PARTIALLY_COMPLETED.
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    /// Progress and error messages.
    pub messages: serde_json::Value,
    /// Extra data.
    pub info: serde_json::Value,
    /// Start time.
    pub start_time: Option<String>,
    /// End time.
    pub end_time: Option<String>,
    /// Server-side timeout.
    #[serde(deserialize_with = "lenient_u64")]
    pub timeout_in_seconds: Option<u64>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// How a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskOutcome {
    /// Still running.
    Running,
    /// Finished well.
    Succeeded,
    /// Finished badly.
    Failed,
}

impl VTask {
    /// Classifies [`VTask::state`].
    pub fn outcome(&self) -> TaskOutcome {
        match self.state.to_ascii_uppercase().as_str() {
            "COMPLETED" | "SUCCESS" | "SUCCEEDED" => TaskOutcome::Succeeded,
            "FAILED" | "TIMEOUT" | "PARTIALLY_COMPLETED" | "ABORTED" | "CANCELLED" => {
                TaskOutcome::Failed
            }
            _ => TaskOutcome::Running,
        }
    }

    /// The messages as text.
    pub fn message_lines(&self) -> Vec<String> {
        match &self.messages {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
                .collect(),
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Null => Vec::new(),
            other => vec![other.to_string()],
        }
    }
}

impl Resource for VTask {
    const COLLECTION: &'static str = "vtasks";
}

impl Collection<VTask> {
    /// Polls the task every `interval` until it ends: the final task on success,
    /// [`Error::TaskFailed`] on failure, [`Error::TaskTimeout`] after `timeout`.
    pub async fn wait(
        &self,
        task: TaskRef,
        interval: Duration,
        timeout: Duration,
    ) -> Result<VTask, Error> {
        let started = Instant::now();
        let call = || Call::new(&Method::GET, &format!("vtasks/{}/", task.id), Some(200));
        loop {
            let current = self.get(task.id).await?;
            match current.outcome() {
                TaskOutcome::Succeeded => return Ok(current),
                TaskOutcome::Failed => {
                    return Err(Error::TaskFailed {
                        call: call(),
                        task_id: task.id,
                        messages: current.message_lines(),
                        state: current.state,
                    })
                }
                TaskOutcome::Running if started.elapsed() >= timeout => {
                    return Err(Error::TaskTimeout {
                        call: call(),
                        task_id: task.id,
                        state: current.state,
                        after: timeout,
                    })
                }
                TaskOutcome::Running => tokio::time::sleep(interval).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_async_task_references() {
        let answer = serde_json::json!({"async_task": {"id": 42, "name": "x"}});
        assert_eq!(TaskRef::from_answer(&answer), Some(TaskRef { id: 42 }));
        assert_eq!(TaskRef::from_answer(&serde_json::json!({"id": 1})), None);
    }

    #[test]
    fn states_classify() {
        let task = |state: &str| VTask {
            state: state.to_owned(),
            ..VTask::default()
        };
        assert_eq!(task("COMPLETED").outcome(), TaskOutcome::Succeeded);
        assert_eq!(task("RUNNING").outcome(), TaskOutcome::Running);
        assert_eq!(task("FAILED").outcome(), TaskOutcome::Failed);
    }
}
