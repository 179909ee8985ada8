//! A synchronous façade for callers outside an async runtime (the image
//! source, which reads layers on rayon threads).

use std::future::Future;
use std::io::{self, Read};

use bytes::{Buf, Bytes};
use tokio::sync::mpsc;

use crate::client::{Client, ClientConfig};
use crate::error::{Error, Result};
use crate::manifest::Descriptor;
use crate::reference::Reference;

/// How many body chunks a [`BlobReader`] buffers ahead of its reader: the
/// download runs on the runtime while the reader decompresses.
const READ_AHEAD_CHUNKS: usize = 8;

/// A [`Client`] plus the tokio runtime it runs on (2 worker threads).
/// Must not be used or dropped from inside an async context.
#[derive(Debug)]
pub struct BlockingClient {
    runtime: tokio::runtime::Runtime,
    client: Client,
}

impl BlockingClient {
    /// Starts a runtime and a client with `config`.
    pub fn new(config: ClientConfig) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("drydock-registry")
            .enable_all()
            .build()
            .map_err(|e| Error::Transport {
                reference: "(client)".into(),
                operation: "starting the async runtime".into(),
                message: e.to_string(),
                timeout: false,
            })?;
        let client = {
            let _guard = runtime.enter();
            Client::new(config)?
        };
        Ok(Self { runtime, client })
    }

    /// The async client (to build futures for [`BlockingClient::block_on`]).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs `future` to completion on the runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Opens the blob `desc` describes as a [`Read`]. The request is made
    /// (and fails) here; the body is then downloaded on the runtime, a
    /// bounded number of chunks ahead of the reader. With `verify_digest`
    /// false only the size is checked (for readers that hash the bytes
    /// themselves). Errors while reading are `io::Error`s wrapping
    /// [`Error`] (`get_ref()` / `into_inner()` + downcast to recover it).
    pub fn open_blob(
        &self,
        reference: &Reference,
        desc: &Descriptor,
        verify_digest: bool,
    ) -> Result<BlobReader> {
        let mut stream = self
            .runtime
            .block_on(self.client.get_blob(reference, desc))?;
        if !verify_digest {
            stream = stream.without_digest_check();
        }
        let (tx, rx) = mpsc::channel(READ_AHEAD_CHUNKS);
        self.runtime.spawn(async move {
            loop {
                let next = stream.chunk().await;
                let done = !matches!(next, Ok(Some(_)));
                let item = match next {
                    Ok(Some(b)) => Ok(b),
                    Ok(None) => break,
                    Err(e) => Err(e),
                };
                // The reader hung up: stop downloading.
                if tx.send(item).await.is_err() || done {
                    break;
                }
            }
        });
        Ok(BlobReader {
            rx,
            current: Bytes::new(),
        })
    }
}

/// A blob body as a blocking [`Read`] (see [`BlockingClient::open_blob`]).
/// Dropping it cancels the download.
#[derive(Debug)]
pub struct BlobReader {
    rx: mpsc::Receiver<Result<Bytes>>,
    current: Bytes,
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.current.has_remaining() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}
