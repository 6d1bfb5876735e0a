//! Blob storage for employee files and photos, behind one interface: a directory under
//! the data directory by default, or an S3-compatible bucket (both through the
//! `object_store` crate, so the same code paths run against either).
//!
//! Contents are addressed by their SHA-256 (`sha256/ab/abcdef…`): the same bytes are
//! stored once, a stored blob never changes, and a client's file name never becomes a
//! path. An upload is first *staged* — streamed into a private file under
//! `<data_dir>/staging` while it is hashed and counted against its size limit — and only
//! a complete, accepted upload is then put into the store. Both backends publish a blob
//! atomically (a local write goes to a temporary file that is renamed; an S3 object
//! appears when its upload completes), so a failed upload never leaves a half-written
//! blob, and rows naming a blob are committed only after it is stored. A row whose
//! transaction fails after its blob was stored leaves that blob unreferenced; it is
//! complete, harmless and reused by the next upload of the same bytes.

use std::fmt;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Result, ServiceError};

/// Blobs up to this size are put in one request; larger ones in parts of this size.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// How many bytes of an upload's start are kept for content sniffing.
const HEAD_BYTES: usize = 64;

/// Why blob storage failed (always the server's problem, never the client's).
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The object store answered with an error.
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
    /// The staging directory could not be written or read.
    #[error("staging: {0}")]
    Io(#[from] std::io::Error),
}

/// Where blobs are kept: [`Blobs::local`] or [`Blobs::s3`].
#[derive(Debug, Clone)]
pub enum BlobConfig {
    /// `<data_dir>/blobs`.
    Local,
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// An S3-compatible bucket.
#[derive(Clone)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Region (`us-east-1` when the service does not care).
    pub region: String,
    /// Endpoint for S3-compatible services (`http://127.0.0.1:9000`); AWS when `None`.
    pub endpoint: Option<String>,
    /// Access key id; from the environment's usual AWS variables when `None`.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Accept a plain `http://` endpoint (a server on the same host or network).
    pub allow_http: bool,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// The blob store of this server, cheap to clone.
#[derive(Debug, Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    staging: PathBuf,
    /// The most any upload may be, whatever an organization allows.
    upload_cap: u64,
    /// `local` or `s3`, for logs.
    kind: &'static str,
}

impl Blobs {
    /// Opens the blob store `config` with staging under `data_dir` (created if missing);
    /// no upload may exceed `upload_cap` bytes.
    pub fn open(config: &BlobConfig, data_dir: &FsPath, upload_cap: u64) -> Result<Self> {
        let staging = data_dir.join("staging");
        std::fs::create_dir_all(&staging).map_err(blob_error)?;
        let (store, kind): (Arc<dyn ObjectStore>, _) = match config {
            BlobConfig::Local => {
                let root = data_dir.join("blobs");
                std::fs::create_dir_all(&root).map_err(blob_error)?;
                let local = LocalFileSystem::new_with_prefix(&root)
                    .map_err(blob_error)?
                    .with_fsync(true);
                (Arc::new(local), "local")
            }
            BlobConfig::S3(s3) => {
                // reqwest's rustls is built without a bundled provider (no aws-lc-rs C
                // build): ring, which lettre already uses, serves HTTPS. Installing it twice
                // is refused harmlessly.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_allow_http(s3.allow_http);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret);
                }
                (Arc::new(builder.build().map_err(blob_error)?), "s3")
            }
        };
        // Leftovers of uploads interrupted by a crash.
        if let Ok(entries) = std::fs::read_dir(&staging) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Self {
            store,
            staging,
            upload_cap,
            kind,
        })
    }

    /// `local` or `s3`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The largest upload this server accepts at all.
    #[must_use]
    pub fn upload_cap(&self) -> u64 {
        self.upload_cap
    }

    /// Starts staging an upload of at most `limit` bytes (capped by the server's limit).
    pub async fn stage(&self, limit: u64) -> Result<Staging> {
        let path = self
            .staging
            .join(format!("{}.part", uuid::Uuid::now_v7().simple()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(blob_error)?;
        Ok(Staging {
            guard: StagedFile(path),
            file,
            hasher: Sha256::new(),
            size: 0,
            limit: limit.min(self.upload_cap),
            head: Vec::with_capacity(HEAD_BYTES),
        })
    }

    /// Stores a staged upload under its hash (unless those bytes are stored already).
    pub async fn put_staged(&self, staged: &Staged) -> Result<()> {
        let key = key_of(&staged.sha256);
        if self.exists(&key).await? {
            return Ok(());
        }
        let mut file = tokio::fs::File::open(&staged.guard.0)
            .await
            .map_err(blob_error)?;
        if staged.size <= PART_SIZE as u64 {
            let mut buffer = Vec::with_capacity(usize::try_from(staged.size).unwrap_or(0));
            file.read_to_end(&mut buffer).await.map_err(blob_error)?;
            self.store
                .put(&key, PutPayload::from(buffer))
                .await
                .map_err(blob_error)?;
            return Ok(());
        }
        let upload = self.store.put_multipart(&key).await.map_err(blob_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut chunk = vec![0_u8; 256 * 1024];
        loop {
            let read = match file.read(&mut chunk).await {
                Ok(read) => read,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(blob_error(error));
                }
            };
            if read == 0 {
                break;
            }
            if let Err(error) = writer.wait_for_capacity(2).await {
                let _ = writer.abort().await;
                return Err(blob_error(error));
            }
            writer.write(&chunk[..read]);
        }
        writer.finish().await.map_err(blob_error)?;
        Ok(())
    }

    /// Stores `bytes` (a small, server-made blob such as a re-encoded photo) under their
    /// hash; returns the hash.
    pub async fn put_bytes(&self, bytes: Vec<u8>) -> Result<String> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let key = key_of(&sha256);
        if !self.exists(&key).await? {
            self.store
                .put(&key, PutPayload::from(bytes))
                .await
                .map_err(blob_error)?;
        }
        Ok(sha256)
    }

    /// The content of blob `sha256` as a stream, with its size.
    pub async fn get(&self, sha256: &str) -> Result<(u64, BoxStream<'static, Result<Bytes>>)> {
        let result = self.store.get(&key_of(sha256)).await.map_err(blob_error)?;
        let size = result.meta.size;
        let stream = result.into_stream().map_err(blob_error).boxed();
        Ok((size, stream))
    }

    /// Whether blob `sha256` is stored.
    pub async fn contains(&self, sha256: &str) -> Result<bool> {
        self.exists(&key_of(sha256)).await
    }

    /// Every stored blob's hash (for tests and checks; lists the whole store).
    pub async fn list(&self) -> Result<Vec<String>> {
        let prefix = Path::from("sha256");
        let metas: Vec<_> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(blob_error)?;
        let mut hashes: Vec<String> = metas
            .into_iter()
            .filter_map(|m| m.location.filename().map(str::to_owned))
            .collect();
        hashes.sort();
        Ok(hashes)
    }

    async fn exists(&self, key: &Path) -> Result<bool> {
        match self.store.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(blob_error(error)),
        }
    }
}

/// The store key of blob `sha256`.
fn key_of(sha256: &str) -> Path {
    let prefix = sha256.get(..2).unwrap_or("00");
    Path::from(format!("sha256/{prefix}/{sha256}"))
}

fn blob_error(error: impl Into<BlobError>) -> ServiceError {
    ServiceError::Blob(error.into())
}

/// Removes a staging file when dropped, whatever happened to the upload.
#[derive(Debug)]
struct StagedFile(PathBuf);

impl Drop for StagedFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An upload being received: written to a staging file, hashed and counted.
#[derive(Debug)]
pub struct Staging {
    guard: StagedFile,
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
    limit: u64,
    head: Vec<u8>,
}

impl Staging {
    /// The most bytes this upload may have.
    #[must_use]
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Appends a chunk; fails with [`ServiceError::TooLarge`] (nothing kept) once the
    /// upload exceeds its limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(ServiceError::TooLarge { limit: self.limit });
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(blob_error)
    }

    /// The complete upload.
    pub async fn finish(mut self) -> Result<Staged> {
        self.file.flush().await.map_err(blob_error)?;
        Ok(Staged {
            guard: self.guard,
            sha256: hex::encode(self.hasher.finalize()),
            size: self.size,
            head: self.head,
        })
    }
}

/// A complete upload, staged: its hash and size are known, its bytes not yet stored.
#[derive(Debug)]
pub struct Staged {
    guard: StagedFile,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The first bytes, for content sniffing.
    pub head: Vec<u8>,
}

impl Staged {
    /// Reads the whole upload into memory (for images, whose size limit is small).
    pub async fn read_all(&self) -> Result<Vec<u8>> {
        tokio::fs::read(&self.guard.0).await.map_err(blob_error)
    }
}
