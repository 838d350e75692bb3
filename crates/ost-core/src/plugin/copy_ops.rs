//! [`Plugin`]'s OST calls on one kind of object. Copies: synchronous and asynchronous image copies,
//! and the operations they run as.

use ost_model::OstError;

use super::Plugin;
use crate::handles::{OpId, ServerId};
use crate::ops::Operation;
use crate::types::{CopyRequest, OpStatus};

impl Plugin {
    /// `stspi_copy_image`: server-side copy of a Complete image within the cluster; returns
    /// the bytes copied. The copy lands complete or not at all.
    pub fn copy_image(&self, server: ServerId, request: &CopyRequest) -> Result<u64, OstError> {
        self.on_server(server, Some(&request.dst_lsu), async |s| {
            s.copy_image(request, None).await
        })
    }

    /// `stspi_async_copy_image`: starts the copy in the background; follow it with
    /// [`Plugin::query_operation`], stop it with [`Plugin::cancel_operation`]. Completion is
    /// also announced on event channels.
    pub fn async_copy_image(
        &self,
        server: ServerId,
        request: &CopyRequest,
    ) -> Result<OpId, OstError> {
        let s = self.server(server)?;
        let op = self.block_on(async { Ok(Operation::start_copy(s, request.clone())) })?;
        let id = self.ops.insert(op.clone());
        op.set_id(id);
        Ok(id)
    }

    /// `stspi_query_operation`: state and progress. Finished operations stay queryable until
    /// [`Plugin::release_operation`].
    pub fn query_operation(&self, op: OpId) -> Result<OpStatus, OstError> {
        Ok(self.own(op, self.ops.get(op))?.status(op))
    }

    /// `stspi_cancel_operation`: asks the operation to stop; a cancelled copy leaves nothing.
    pub fn cancel_operation(&self, op: OpId) -> Result<(), OstError> {
        self.own(op, self.ops.get(op))?.cancel();
        Ok(())
    }

    /// Blocks until the operation is no longer running and returns its final status.
    pub fn wait_operation(&self, op: OpId) -> Result<OpStatus, OstError> {
        let o = self.own(op, self.ops.get(op))?;
        self.block_on(async {
            o.wait().await;
            Ok(o.status(op))
        })
    }

    /// Forgets a finished operation.
    pub fn release_operation(&self, op: OpId) -> Result<(), OstError> {
        self.own(op, self.ops.remove(op)).map(drop)
    }
}
