//! Listening sockets: TCP bound from `host:port` (`SO_REUSEADDR`, `SO_REUSEPORT`,
//! `listenany`, an interface name as the host), a Unix domain socket path, a listener the
//! application opened itself, or sockets inherited through systemd socket activation
//! (`LISTEN_FDS`/`LISTEN_PID`, descriptors from 3; sd_listen_fds(3)).

use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};

use crate::options::ServerOptions;

/// A listening socket a [`Server`](crate::Server) accepts connections from.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use http_server::Listener;
/// let tcp = Listener::tcp(std::net::TcpListener::bind("127.0.0.1:0")?)?;
/// assert!(tcp.url("http").starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Listener {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Tcp(TcpListener),
    /// With the path to remove when the listener closes, when the server created it.
    #[cfg(unix)]
    Unix(UnixListener, Option<PathBuf>),
}

/// What a listener is bound to, for URLs and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Tcp(SocketAddr),
    #[cfg(unix)]
    Unix(PathBuf),
}

impl Endpoint {
    pub(crate) fn url(&self, scheme: &str) -> String {
        match self {
            Endpoint::Tcp(a) => format!("{scheme}://{a}"),
            #[cfg(unix)]
            Endpoint::Unix(p) => format!("unix:{}", p.display()),
        }
    }
}

/// One accepted connection.
pub(crate) enum Accepted {
    Tcp(TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Listener {
    /// Wraps a bound `std` TCP listener (made non-blocking here).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let l = http_server::Listener::tcp(std::net::TcpListener::bind("127.0.0.1:0")?)?;
    /// assert!(l.url("http").starts_with("http://"));
    /// # Ok(()) }
    /// ```
    pub fn tcp(listener: std::net::TcpListener) -> io::Result<Listener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener::from_std(listener)?.into())
    }

    /// Wraps a bound `std` Unix domain socket listener (made non-blocking here). The
    /// socket file is left in place when the server closes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("doc-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let l = http_server::Listener::unix(std::os::unix::net::UnixListener::bind(&path)?)?;
    /// assert_eq!(l.url("http"), format!("unix:{}", path.display()));
    /// # std::fs::remove_file(&path)?;
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub fn unix(listener: std::os::unix::net::UnixListener) -> io::Result<Listener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener::from_std(listener)?.into())
    }

    /// Binds a Unix domain socket at `path`, replacing a stale socket file that nobody
    /// listens on (a path in use is `AddrInUse`); the file is removed when the server
    /// closes. Call from within a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("doc-bind-{}.sock", std::process::id()));
    /// let l = http_server::Listener::bind_unix(&path)?;
    /// assert!(path.exists());
    /// drop(l);
    /// assert!(!path.exists(), "removed with the listener");
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub fn bind_unix(path: impl AsRef<Path>) -> io::Result<Listener> {
        let path = path.as_ref();
        let err = |e: io::Error| io::Error::new(e.kind(), format!("cannot listen on unix:{}: {e}", path.display()));
        if std::fs::symlink_metadata(path).is_ok() {
            use std::os::unix::fs::FileTypeExt;
            let is_socket = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
            if !is_socket {
                return Err(err(io::Error::new(io::ErrorKind::AlreadyExists, "the path exists and is not a socket")));
            }
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(err(io::Error::new(io::ErrorKind::AddrInUse, "another process listens there")));
            }
            std::fs::remove_file(path).map_err(err)?;
        }
        let l = UnixListener::bind(path).map_err(err)?;
        Ok(Listener { inner: Inner::Unix(l, Some(path.to_owned())) })
    }

    /// The listeners systemd (or any launcher following sd_listen_fds(3)) passed in:
    /// `LISTEN_FDS` descriptors from 3 when `LISTEN_PID` is this process; TCP or Unix
    /// stream sockets. Empty when none were passed. Reads and then unsets the variables:
    /// call it early, before other threads read the environment. Needs a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// // started by hand, not by systemd: nothing inherited
    /// assert!(http_server::Listener::from_systemd()?.is_empty());
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub fn from_systemd() -> io::Result<Vec<Listener>> {
        let mut fds = listenfd::ListenFd::from_env();
        let mut out = Vec::new();
        for i in 0..fds.len() {
            let l = match fds.take_tcp_listener(i) {
                Ok(Some(l)) => Listener::tcp(l)?,
                _ => match fds.take_unix_listener(i)? {
                    Some(l) => Listener::unix(l)?,
                    None => continue,
                },
            };
            out.push(l);
        }
        Ok(out)
    }

    /// `http://HOST:PORT` (with `scheme`), or `unix:PATH`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let l = http_server::Listener::tcp(std::net::TcpListener::bind("127.0.0.1:0")?)?;
    /// assert!(l.url("https").starts_with("https://127.0.0.1:"));
    /// # Ok(()) }
    /// ```
    pub fn url(&self, scheme: &str) -> String {
        self.endpoint().map_or_else(|_| "unknown".to_owned(), |e| e.url(scheme))
    }

    pub(crate) fn endpoint(&self) -> io::Result<Endpoint> {
        match &self.inner {
            Inner::Tcp(l) => l.local_addr().map(Endpoint::Tcp),
            #[cfg(unix)]
            Inner::Unix(l, _) => {
                let addr = l.local_addr()?;
                Ok(Endpoint::Unix(addr.as_pathname().map(Path::to_owned).unwrap_or_default()))
            }
        }
    }

    pub(crate) async fn accept(&self) -> io::Result<Accepted> {
        match &self.inner {
            Inner::Tcp(l) => l.accept().await.map(|(s, a)| Accepted::Tcp(s, a)),
            #[cfg(unix)]
            Inner::Unix(l, _) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Inner::Unix(_, Some(path)) = &self.inner {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl From<TcpListener> for Listener {
    fn from(l: TcpListener) -> Listener {
        Listener { inner: Inner::Tcp(l) }
    }
}

#[cfg(unix)]
impl From<UnixListener> for Listener {
    fn from(l: UnixListener) -> Listener {
        Listener { inner: Inner::Unix(l, None) }
    }
}

/// Listeners handed to [`ServerOptions::listener`]; the first server started with the
/// options takes them.
#[derive(Clone, Default)]
pub(crate) struct Handed(pub(crate) Arc<Mutex<Vec<Listener>>>);

impl std::fmt::Debug for Handed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.lock().map_or(0, |v| v.len()))
    }
}

impl Handed {
    pub(crate) fn take(&self) -> Vec<Listener> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The listeners for `options`: the handed ones, else the Unix socket, else `host:port`.
pub(crate) async fn listeners(options: &ServerOptions) -> io::Result<Vec<Listener>> {
    let handed = options.listeners.take();
    if !handed.is_empty() {
        return Ok(handed);
    }
    #[cfg(unix)]
    if let Some(path) = &options.unix {
        return Ok(vec![Listener::bind_unix(path)?]);
    }
    Ok(vec![bind(options).await?.into()])
}

/// Resolves the host (an address, a name, or a network interface's name) and binds; an
/// error names the host it could not resolve or the address it could not listen on.
async fn bind(options: &ServerOptions) -> io::Result<TcpListener> {
    let host = options.host.as_str();
    let addr = match crate::interfaces::address_of(host) {
        Some(ip) => SocketAddr::new(ip, options.port),
        None => {
            let mut addrs = tokio::net::lookup_host((host, options.port))
                .await
                .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve host {host:?}: {e}")))?;
            addrs.next().ok_or_else(|| {
                io::Error::new(io::ErrorKind::AddrNotAvailable, format!("cannot resolve host {host:?}: no addresses"))
            })?
        }
    };
    bind_any(addr, options).map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

/// Binds `addr`; with `listenany`, a port in use moves on to the next 100, then any port.
fn bind_any(addr: SocketAddr, options: &ServerOptions) -> io::Result<TcpListener> {
    match bind_addr(addr, options) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse && options.listenany && addr.port() != 0 => {
            for port in addr.port().saturating_add(1)..=addr.port().saturating_add(100) {
                if let Ok(l) = bind_addr(SocketAddr::new(addr.ip(), port), options) {
                    return Ok(l);
                }
            }
            bind_addr(SocketAddr::new(addr.ip(), 0), options)
        }
        other => other,
    }
}

fn bind_addr(addr: SocketAddr, options: &ServerOptions) -> io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(options.reuseaddr)?;
    #[cfg(unix)]
    socket.set_reuse_port(options.reuseport)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(options.backlog.min(i32::MAX as u32) as i32)?;
    TcpListener::from_std(socket.into())
}
