//! The IAM actions behind the S3 calls this crate makes on a bucket it does not own, for an
//! S3 identity policy that lets a user read and write another user's buckets. Kept beside the
//! calls: a new kind of S3 request here needs its action added.

/// Every IAM action the data path's requests need (reads, writes, multipart uploads and their
/// listing, deletes, copies, bucket tags), in AWS's names. Bucket creation and deletion are
/// not among them: buckets are made and removed over VMS.
pub const DATA_PATH_ACTIONS: &[&str] = &[
    // GetObject, HeadObject, ranged reads, and the source of CopyObject / UploadPartCopy.
    "s3:GetObject",
    // PutObject, CopyObject, CreateMultipartUpload, UploadPart(Copy), CompleteMultipartUpload.
    "s3:PutObject",
    // DeleteObject, DeleteObjects.
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    // ListObjectsV2, HeadBucket.
    "s3:ListBucket",
    // ListMultipartUploads (the stale-upload sweep).
    "s3:ListBucketMultipartUploads",
    // ListParts (resuming a writer).
    "s3:ListMultipartUploadParts",
    // LSU labels (a bucket tag).
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    // WORM LSUs (`object_lock`): HEAD of a version, ListObjectVersions, removing versions,
    // locking a version. Not `s3:BypassGovernanceRetention`: the media servers' key cannot
    // lift a governance lock (only `vast-ost image delete --bypass-governance`, with its own
    // grant, can).
    "s3:GetObjectVersion",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:GetObjectRetention",
];
