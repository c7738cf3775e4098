//! `cargo xtask serve`: a small static file server for `dist/` (std only, GET and HEAD), also
//! started in-process by `test` and `bench`.

use crate::dist::{self, DistArgs};
use anyhow::{bail, Result};
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Options of `cargo xtask serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 to listen on.
    #[arg(long, default_value_t = 8080, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// Skip wasm-opt in the build (see `dist --no-opt`).
    #[arg(long)]
    pub no_opt: bool,
}

/// Builds dist/ and serves it until interrupted.
pub fn run(args: &ServeArgs) -> Result<()> {
    // Bind first: a taken port should fail in a second, not after a full build.
    let listener = match TcpListener::bind(("127.0.0.1", args.port)) {
        Ok(l) => l,
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            let other = if args.port == 8080 { 8081 } else { 8080 };
            bail!("port {} is in use; try --port {other}", args.port)
        }
        Err(e) => bail!("cannot listen on 127.0.0.1:{}: {e}", args.port),
    };
    let root = dist::run(&DistArgs {
        no_opt: args.no_opt,
    })?;
    let server = StaticServer::start(listener, root, true)?;
    println!("\nServing InstaTok Playground at {}", server.url());
    println!("(Ctrl-C to stop)");
    server.wait();
    Ok(())
}

/// Starts a server on a free port for `test` and `bench`; it logs requests when the
/// environment variable `XTASK_SERVE_LOG` is set.
pub fn start_on_free_port(root: PathBuf) -> Result<StaticServer> {
    let log = std::env::var_os("XTASK_SERVE_LOG").is_some();
    let server = StaticServer::start(crate::tools::bind_free_port()?, root, log)?;
    println!("serving dist/ at {}", server.url());
    Ok(server)
}

/// A running static server on its own thread; dropping it stops it.
pub struct StaticServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `root` on an already bound listener; `log` prints one line per request.
    pub fn start(listener: TcpListener, root: PathBuf, log: bool) -> Result<Self> {
        let port = listener.local_addr()?.port();
        let root = root.canonicalize()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                // One thread per connection: a browser that reads one response slowly must
                // not hold up the page's other requests.
                if let Ok(stream) = stream {
                    let root = root.clone();
                    std::thread::spawn(move || {
                        // A client that hung up is no concern of ours.
                        let _ = serve_connection(stream, &root, log);
                    });
                }
            }
        });
        Ok(Self {
            port,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Blocks until the server thread ends (for `serve`, never: Ctrl-C ends the process).
    fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request head and answers it, then closes the connection. `Connection: close`
/// on every response keeps this simple and spares browsers from stale keep-alive sockets.
fn serve_connection(mut stream: TcpStream, root: &Path, log: bool) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return write_reply(&mut stream, &text(431, "request header too large"), true);
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default();
    let target = request_line.next().unwrap_or_default();
    let reply = respond(root, method, target);
    if log {
        println!("{} {method} {target}", reply.status);
    }
    write_reply(&mut stream, &reply, method != "HEAD")
}

/// Longest request head accepted; browsers send a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

/// A response, before it is written.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

/// Answers GET/HEAD of a file under `root`, else 404/405.
fn respond(root: &Path, method: &str, target: &str) -> Reply {
    if method != "GET" && method != "HEAD" {
        return text(405, "method not allowed");
    }
    match resolve(root, target).and_then(|path| Some((fs::read(&path).ok()?, path))) {
        Some((body, path)) => Reply {
            status: 200,
            content_type: mime_type(&path),
            body,
        },
        None => text(404, "not found"),
    }
}

fn text(status: u16, body: &str) -> Reply {
    Reply {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.as_bytes().to_vec(),
    }
}

fn write_reply(stream: &mut TcpStream, reply: &Reply, with_body: bool) -> io::Result<()> {
    let reason = match reply.status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "",
    };
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nConnection: close\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    if reply.status == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if with_body {
        bytes.extend_from_slice(&reply.body);
    }
    stream.write_all(&bytes)?;
    stream.flush()?;
    stream.shutdown(Shutdown::Write)
}

/// Maps a request URL to a file under `root`; `None` for anything that is not a plain
/// relative path to an existing file (no `..`, no absolute parts, nothing outside `root`).
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    if decoded.contains('\\')
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        file.push("index.html");
    }
    // Symlinks could still lead out of root; compare real paths.
    let real = file.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

/// Decodes `%XX` escapes; `None` if malformed or not UTF-8 or decoding to a NUL.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    (!decoded.contains('\0')).then_some(decoded)
}

/// The Content-Type for a file, by extension.
fn mime_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small site in a directory of its own for each call: tests run in parallel, and one
    /// test rewriting a file another is serving made `serves_over_http` read it truncated.
    fn site() -> PathBuf {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("xtask-serve-test-{}-{call}", std::process::id()));
        fs::create_dir_all(dir.join("pkg")).unwrap();
        fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        fs::write(dir.join("pkg/a b.wasm"), [0, 97, 115, 109]).unwrap();
        dir.canonicalize().unwrap()
    }

    #[test]
    fn resolves_files_and_index() {
        let root = site();
        assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            resolve(&root, "/pkg/a%20b.wasm?v=1"),
            Some(root.join("pkg/a b.wasm"))
        );
        assert_eq!(resolve(&root, "/missing.js"), None);
    }

    #[test]
    fn refuses_traversal() {
        let root = site();
        for url in [
            "/../etc/passwd",
            "/pkg/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/pkg/%2E%2E/%2E%2E/etc/passwd",
            "//etc/passwd",
            "/..%5c..%5cetc/passwd",
            "/index.html%00",
            "/%zz",
        ] {
            assert_eq!(resolve(&root, url), None, "{url}");
        }
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime_type(Path::new("x.wasm")), "application/wasm");
        assert!(mime_type(Path::new("x.js")).starts_with("text/javascript"));
        assert!(mime_type(Path::new("x.CSS")).starts_with("text/css"));
    }

    #[test]
    fn serves_over_http() {
        let root = site();
        let listener = crate::tools::bind_free_port().unwrap();
        let server = StaticServer::start(listener, root, false).unwrap();
        let addr = format!("127.0.0.1:{}", server.port);
        let request = |method: &str, path: &str| {
            let mut s = TcpStream::connect(&addr).unwrap();
            write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).unwrap();
            reply.to_ascii_lowercase()
        };
        let wasm = request("GET", "/pkg/a%20b.wasm");
        assert!(wasm.starts_with("http/1.1 200 ok\r\n"), "{wasm}");
        assert!(
            wasm.contains("content-type: application/wasm\r\n"),
            "{wasm}"
        );
        assert!(wasm.contains("content-length: 4\r\n"), "{wasm}");
        assert!(wasm.ends_with("\r\n\r\n\0asm"), "{wasm:?}");
        let head = request("HEAD", "/");
        assert!(
            head.contains("content-length: 15\r\n") && head.ends_with("\r\n\r\n"),
            "{head:?}"
        );
        assert!(request("GET", "/nope").starts_with("http/1.1 404"));
        assert!(request("GET", "/../Cargo.toml").starts_with("http/1.1 404"));
        assert!(request("POST", "/").starts_with("http/1.1 405"));
        drop(server);
        assert!(
            TcpStream::connect(&addr).is_err(),
            "stopped server still accepts"
        );
    }
}
