//! Logging setup: `tracing` to stderr, text or JSON, filtered by `RUST_LOG`
//! (default `info`).
//!
//! Request threads never write to stderr themselves: a formatted line is
//! appended to a shared buffer, and a background thread writes what has
//! accumulated with one `write(2)`, at most [`COALESCE`] after the first
//! line of a batch. Under load that is one write per batch instead of one
//! per line, and a request thread only wakes the writer when it is asleep.
//! (`tracing-appender`'s non-blocking writer, used before, wrote each line
//! separately and its channel spun with `sched_yield` waiting for lines,
//! which cost CPU the two-core load benchmark had no spare of.)
//!
//! Nothing is dropped: if the writer falls [`MAX_PENDING`] bytes behind
//! (stderr blocked), request threads wait for it.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

use crate::args::LogFormat;

/// How long the writer gathers lines before writing a batch.
const COALESCE: Duration = Duration::from_millis(5);

/// Pending bytes at which request threads wait for the writer.
const MAX_PENDING: usize = 4 << 20;

/// Install the global subscriber. Keep the guard alive until exit: dropping
/// it writes the remaining lines. `None` if a subscriber was already set.
pub fn init(format: LogFormat) -> Option<LogGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (sink, guard) = BatchWriter::start(std::io::stderr()).ok()?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(sink);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    installed.ok().map(|()| guard)
}

struct State {
    buf: Vec<u8>,
    /// The writer is waiting for a first line and must be woken.
    writer_idle: bool,
    /// Request threads waiting for the writer to catch up.
    blocked: usize,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signals the writer: a first line arrived, or shutdown.
    wake: Condvar,
    /// Signals blocked request threads: the buffer was taken.
    drained: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while appending leaves valid bytes behind.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The `MakeWriter` handed to `tracing_subscriber`: `&BatchWriter` is the
/// per-line writer.
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Writes the remaining lines and stops the writer thread when dropped.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchWriter {
    /// Start the writer thread for `out`.
    pub fn start<W: Write + Send + 'static>(
        mut out: W,
    ) -> std::io::Result<(Arc<BatchWriter>, LogGuard)> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                buf: Vec::with_capacity(64 * 1024),
                writer_idle: false,
                blocked: 0,
                closed: false,
            }),
            wake: Condvar::new(),
            drained: Condvar::new(),
        });
        let writer = shared.clone();
        let thread = std::thread::Builder::new()
            .name("podgate-log".into())
            .spawn(move || {
                let mut batch = Vec::with_capacity(64 * 1024);
                loop {
                    let mut st = writer.lock();
                    while st.buf.is_empty() && !st.closed {
                        st.writer_idle = true;
                        st = writer.wake.wait(st).unwrap_or_else(|p| p.into_inner());
                    }
                    st.writer_idle = false;
                    if st.buf.is_empty() {
                        // Closed and nothing left.
                        return;
                    }
                    if !st.closed {
                        // Gather the lines that follow this one.
                        drop(st);
                        std::thread::sleep(COALESCE);
                        st = writer.lock();
                    }
                    std::mem::swap(&mut st.buf, &mut batch);
                    if st.blocked > 0 {
                        writer.drained.notify_all();
                    }
                    drop(st);
                    // Nowhere to report a failing stderr; keep serving.
                    let _ = out.write_all(&batch).and_then(|()| out.flush());
                    batch.clear();
                    if batch.capacity() > MAX_PENDING {
                        batch.shrink_to(64 * 1024);
                    }
                }
            })?;
        Ok((
            Arc::new(BatchWriter {
                shared: shared.clone(),
            }),
            LogGuard {
                shared,
                thread: Some(thread),
            },
        ))
    }
}

impl Write for &BatchWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut st = self.shared.lock();
        while st.buf.len() >= MAX_PENDING && !st.closed {
            st.blocked += 1;
            st = self
                .shared
                .drained
                .wait(st)
                .unwrap_or_else(|p| p.into_inner());
            st.blocked -= 1;
        }
        if st.closed {
            // After shutdown (the guard is gone): write directly.
            drop(st);
            return std::io::stderr().write_all(line).map(|()| line.len());
        }
        st.buf.extend_from_slice(line);
        if st.writer_idle {
            st.writer_idle = false;
            self.shared.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        self.shared.drained.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` that appends to a shared buffer the test can read.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_from_every_thread_is_written_once_in_order_per_thread() {
        let out = Capture::default();
        let (sink, guard) = BatchWriter::start(out.clone()).unwrap();
        std::thread::scope(|s| {
            for t in 0..4 {
                let sink = sink.clone();
                s.spawn(move || {
                    for i in 0..2000 {
                        (&*sink)
                            .write_all(format!("t{t} line {i}\n").as_bytes())
                            .unwrap();
                    }
                });
            }
        });
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 8000);
        for t in 0..4 {
            let mine: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("t{t} ")))
                .collect();
            let expected: Vec<String> = (0..2000).map(|i| format!("t{t} line {i}")).collect();
            assert_eq!(mine, expected);
        }
    }

    #[test]
    fn a_line_is_written_without_shutdown() {
        let out = Capture::default();
        let (sink, _guard) = BatchWriter::start(out.clone()).unwrap();
        (&*sink).write_all(b"hello\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while out.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "line never written");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(out.0.lock().unwrap().as_slice(), b"hello\n");
    }

    #[test]
    fn writers_wait_instead_of_dropping_when_the_output_is_slow() {
        /// Sleeps on every write: the buffer fills past MAX_PENDING.
        #[derive(Clone, Default)]
        struct Slow(Capture);
        impl Write for Slow {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                std::thread::sleep(Duration::from_millis(20));
                self.0.write(b)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Slow::default();
        let (sink, guard) = BatchWriter::start(out.clone()).unwrap();
        let line = vec![b'x'; 1023];
        for _ in 0..(3 * MAX_PENDING / 1024) {
            (&*sink).write_all(&line).unwrap();
            (&*sink).write_all(b"\n").unwrap();
        }
        drop(guard);
        assert_eq!(out.0 .0.lock().unwrap().len(), 3 * MAX_PENDING);
    }
}
