//! Minimal HTTP/1.1 over loopback TCP or a unix socket (client), and a tiny
//! static file server (for the apt repository). Only ever used with
//! 127.0.0.1 or private unix sockets.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{Error, Result};

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Header names lower-cased; repeated headers are joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// Header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request (with `Connection: close`) to a loopback TCP address.
/// Refuses anything but loopback.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response> {
    if !addr.ip().is_loopback() {
        return Err(Error::new(format!(
            "drydock-rig only talks to loopback, not {addr}"
        )));
    }
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| Error::new(format!("connect {addr}: {e}")))?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
    exchange(stream, &addr.to_string(), method, path, headers, body)
}

/// `GET http://addr/path`.
pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
    request(addr, "GET", path, headers, &[])
}

/// Sends one request over a unix socket (e.g. the Docker Engine API).
pub fn request_unix(sock: &Path, method: &str, path: &str) -> Result<Response> {
    let stream = UnixStream::connect(sock)
        .map_err(|e| Error::new(format!("connect {}: {e}", sock.display())))?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
    exchange(stream, "localhost", method, path, &[], &[])
}

fn exchange<S: Read + Write>(
    mut s: S,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let io = |e: std::io::Error| Error::new(format!("HTTP {method} {path}: {e}"));
    s.write_all(req.as_bytes()).map_err(io)?;
    s.write_all(body).map_err(io)?;
    s.flush().map_err(io)?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).map_err(io)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Error::new(format!("HTTP {method} {path}: bad status line {line:?}")))?;
    let mut headers = BTreeMap::new();
    loop {
        line.clear();
        r.read_line(&mut line).map_err(io)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim().to_owned();
            headers
                .entry(k)
                .and_modify(|old: &mut String| {
                    old.push_str(", ");
                    old.push_str(&v);
                })
                .or_insert(v);
        }
    }
    let mut body = Vec::new();
    if method == "HEAD" || status == 204 || status == 304 {
        // no body
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            line.clear();
            r.read_line(&mut line).map_err(io)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| {
                    Error::new(format!("HTTP {method} {path}: bad chunk size {line:?}"))
                })?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size];
            r.read_exact(&mut chunk).map_err(io)?;
            body.extend_from_slice(&chunk);
            line.clear();
            r.read_line(&mut line).map_err(io)?;
        }
    } else if let Some(len) = headers
        .get("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        body.resize(len, 0);
        r.read_exact(&mut body).map_err(io)?;
    } else {
        r.read_to_end(&mut body).map_err(io)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A static file server on `127.0.0.1:<free port>` serving a directory
/// (GET and HEAD only, no directory listings). Stopped on drop.
pub struct StaticServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Binds 127.0.0.1:0 and serves `root` on a background thread.
    pub fn start(root: PathBuf) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::new(format!("bind 127.0.0.1:0: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::new(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("drydock-rig-http".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let root = root.clone();
                    let _ = std::thread::Builder::new()
                        .name("drydock-rig-http-conn".into())
                        .spawn(move || {
                            let _ = serve_conn(conn, &root);
                        });
                }
            })
            .map_err(|e| Error::new(format!("spawn http thread: {e}")))?;
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_conn(conn: TcpStream, root: &Path) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let target = parts.next().unwrap_or("/").to_owned();
        let version = parts.next().unwrap_or("HTTP/1.0").to_owned();
        let mut close = version == "HTTP/1.0";
        loop {
            let mut h = String::new();
            if r.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("connection")
            {
                close = v.trim().eq_ignore_ascii_case("close");
            }
        }
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let file = safe_join(root, &percent_decode(path));
        let (status, body) = match (method.as_str(), file) {
            ("GET" | "HEAD", Some(f)) if f.is_file() => match fs::read(&f) {
                Ok(b) => ("200 OK", b),
                Err(_) => ("500 Internal Server Error", Vec::new()),
            },
            ("GET" | "HEAD", _) => ("404 Not Found", Vec::new()),
            _ => ("405 Method Not Allowed", Vec::new()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n{}\r\n",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        w.write_all(head.as_bytes())?;
        if method != "HEAD" {
            w.write_all(&body)?;
        }
        w.flush()?;
        if close {
            let _ = w.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn safe_join(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut p = root.to_path_buf();
    for c in Path::new(url_path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(n) => p.push(n),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(p)
}
