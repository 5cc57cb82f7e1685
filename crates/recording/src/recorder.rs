//! `Recorder`: the live side. The feed hands each frame to a bounded queue with
//! `try_send` and moves on; a writer thread (std, not the actix arbiter, so a slow disk
//! never holds up a tick) appends them to `<root>/<IST date>/<HHMMSS>-<pid>.mrec`, one
//! compressed block at least every `flush_interval_ms`. A full queue drops the frame and
//! counts it: the recording has a hole, the live feed does not wait.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mandi_domain::Instrument;
use serde::Serialize;

use crate::format::{ist_date_of, Header, Record, FORMAT_VERSION};
use crate::retention;
use crate::writer::SegmentWriter;

/// How long the writer rests after emptying the queue. The queue holds
/// `recorder.queue_frames` (65,536 by default) meanwhile: room for over six million frames
/// a second.
const BATCH_PAUSE: Duration = Duration::from_millis(10);

/// The instrument rows a new file's header copies (the index in force when it opens).
pub type MasterRows = Arc<dyn Fn() -> Vec<Instrument> + Send + Sync>;

/// Where and how the recorder writes; from config `recorder.*`.
#[derive(Clone, Debug)]
pub struct RecorderSettings {
    /// `<store.data_dir>/recordings`.
    pub root: PathBuf,
    pub broker: String,
    /// "live" or "synthetic", copied into each header.
    pub source: String,
    /// Frames the queue holds before it drops.
    pub queue_frames: usize,
    pub flush_interval_ms: u64,
    /// Days kept, today included; 0 keeps every day.
    pub retention_days: u32,
    /// Bytes kept over all days; 0 is no limit. Today's file is never deleted.
    pub retention_bytes: u64,
}

enum Command {
    Record(Record),
    /// Write the open block now and answer (tests and shutdown).
    Flush(SyncSender<()>),
}

/// What `/health` → `recorder` and `/metrics` show.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct RecorderStats {
    pub enabled: bool,
    /// Frames taken into the queue.
    pub frames: u64,
    /// Frames dropped because the queue was full (the writer is behind: a slow disk).
    pub dropped: u64,
    pub bytes_written: u64,
    pub files_opened: u64,
    pub write_errors: u64,
    pub last_error: Option<String>,
    pub current_file: Option<String>,
    pub queue_frames: usize,
}

#[derive(Default)]
struct Shared {
    frames: AtomicU64,
    dropped: AtomicU64,
    bytes_written: AtomicU64,
    files_opened: AtomicU64,
    write_errors: AtomicU64,
    text: Mutex<(Option<String>, Option<String>)>,
    /// Held by the writer for each record; a test holds it to play a stalled disk.
    gate: Mutex<()>,
}

/// Stamps frames instead of their wall receive time: the runtime's clock when it runs on
/// a scripted one, so a replay runs on the clock the bots saw.
pub type StampClock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

/// A cheap handle to the writer thread; clones share it.
#[derive(Clone)]
pub struct Recorder {
    tx: SyncSender<Command>,
    shared: Arc<Shared>,
    queue_frames: usize,
    clock: Option<StampClock>,
}

impl Recorder {
    /// Starts the writer thread. Fails only if the thread cannot be spawned or the root
    /// cannot be created.
    pub fn start(settings: RecorderSettings, master: MasterRows) -> std::io::Result<Recorder> {
        fs::create_dir_all(&settings.root)?;
        let (tx, rx) = mpsc::sync_channel(settings.queue_frames.max(1));
        let shared = Arc::new(Shared::default());
        let queue_frames = settings.queue_frames;
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("mandi-recorder".into())
            .spawn(move || WriterThread::new(settings, master, thread_shared).run(rx))?;
        Ok(Recorder {
            tx,
            shared,
            queue_frames,
            clock: None,
        })
    }

    /// Stamp frames with `clock` rather than their receive time (a scripted runtime).
    pub fn with_clock(mut self, clock: StampClock) -> Recorder {
        self.clock = Some(clock);
        self
    }

    /// Queues a frame; never blocks. A full queue drops it and counts the drop.
    pub fn record(&self, mut record: Record) {
        if let Some(clock) = &self.clock {
            record.received_ns = clock().timestamp_nanos_opt().unwrap_or(record.received_ns);
        }
        match self.tx.try_send(Command::Record(record)) {
            Ok(()) => {
                self.shared.frames.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                let dropped = self.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                // One line for the first drop and then one per 10 000: a stalled disk
                // must not flood the log either.
                if dropped == 1 || dropped.is_multiple_of(10_000) {
                    tracing::warn!(dropped, queue_frames = self.queue_frames, "recorder queue full: frame not recorded (the disk is slower than the feed); live data is unaffected — check the disk under store.data_dir or raise recorder.queue_frames");
                }
            }
        }
    }

    /// Writes what is queued and the open block, and waits for it (bounded by `wait`).
    pub fn flush(&self, wait: Duration) -> bool {
        let (ack, done) = mpsc::sync_channel(1);
        // `send`, not `try_send`: a flush is rare and must not be lost to a full queue.
        if self.tx.send(Command::Flush(ack)).is_err() {
            return false;
        }
        done.recv_timeout(wait).is_ok()
    }

    /// Holds the writer before its next record, as a stalled disk would, until the
    /// returned value drops. The hold is kept by a thread of its own, so the caller may
    /// await while it lasts.
    pub fn stall_writer(&self) -> Stall {
        let shared = self.shared.clone();
        let (locked, is_locked) = mpsc::sync_channel(0);
        let (release, released) = mpsc::sync_channel::<()>(0);
        let thread = std::thread::spawn(move || {
            let _held = lock(&shared.gate);
            let _ = locked.send(());
            // Returns when the `Stall` drops its sender.
            let _ = released.recv();
        });
        let _ = is_locked.recv();
        Stall {
            release: Some(release),
            thread: Some(thread),
        }
    }

    pub fn stats(&self) -> RecorderStats {
        let s = &self.shared;
        let (last_error, current_file) = s.text.lock().map(|t| t.clone()).unwrap_or_default();
        RecorderStats {
            enabled: true,
            frames: s.frames.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            bytes_written: s.bytes_written.load(Ordering::Relaxed),
            files_opened: s.files_opened.load(Ordering::Relaxed),
            write_errors: s.write_errors.load(Ordering::Relaxed),
            last_error,
            current_file,
            queue_frames: self.queue_frames,
        }
    }
}

/// A stalled writer (see [`Recorder::stall_writer`]); dropping it lets the writer go on.
pub struct Stall {
    release: Option<SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Stall {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct OpenFile {
    day: NaiveDate,
    writer: SegmentWriter<BufWriter<File>>,
    counted: u64,
}

struct WriterThread {
    settings: RecorderSettings,
    master: MasterRows,
    shared: Arc<Shared>,
    open: Option<OpenFile>,
}

impl WriterThread {
    fn new(settings: RecorderSettings, master: MasterRows, shared: Arc<Shared>) -> WriterThread {
        WriterThread {
            settings,
            master,
            shared,
            open: None,
        }
    }

    fn run(mut self, rx: Receiver<Command>) {
        let every = Duration::from_millis(self.settings.flush_interval_ms.max(1));
        let mut last_flush = Instant::now();
        loop {
            let wait = every.saturating_sub(last_flush.elapsed());
            match rx.recv_timeout(wait) {
                Ok(first) => {
                    // Everything queued behind the first command in one go, then a pause:
                    // a writer parked on an empty queue would be woken by every frame,
                    // and each wake-up costs the feed's thread a system call.
                    let shared = self.shared.clone();
                    let gate = lock(&shared.gate);
                    let mut next = Some(first);
                    while let Some(command) = next {
                        if self.handle(command, &rx) {
                            last_flush = Instant::now();
                        }
                        next = rx.try_recv().ok();
                    }
                    drop(gate);
                    std::thread::sleep(BATCH_PAUSE.min(every));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.flush();
                    return;
                }
            }
            if last_flush.elapsed() >= every {
                self.flush();
                last_flush = Instant::now();
            }
        }
    }

    /// One command; true when it flushed.
    fn handle(&mut self, command: Command, rx: &Receiver<Command>) -> bool {
        match command {
            Command::Record(r) => {
                self.write(r);
                false
            }
            Command::Flush(ack) => {
                // Everything queued before the flush is written first.
                while let Ok(next) = rx.try_recv() {
                    match next {
                        Command::Record(r) => self.write(r),
                        Command::Flush(other) => {
                            let _ = other.try_send(());
                        }
                    }
                }
                self.flush();
                let _ = ack.try_send(());
                true
            }
        }
    }

    fn write(&mut self, record: Record) {
        let day = ist_date_of(record.received_ns);
        if self.open.as_ref().map(|o| o.day) != Some(day) {
            self.rotate(day, record.received_ns);
        }
        let Some(open) = self.open.as_mut() else {
            return; // the file could not be opened: counted in rotate
        };
        if let Err(e) = open.writer.push(&record) {
            self.failed(format!("writing {}: {e}", day));
        }
        self.count_bytes();
    }

    /// Closes the day's file and opens the next day's, then applies retention.
    fn rotate(&mut self, day: NaiveDate, first_ns: i64) {
        self.flush();
        self.open = None;
        let dir = self.settings.root.join(day.to_string());
        let time = chrono::DateTime::from_timestamp_nanos(first_ns)
            .with_timezone(&mandi_domain::time::IST)
            .format("%H%M%S");
        let path = unique_path(&dir, &format!("{time}-{}", std::process::id()));
        let header = Header {
            format_version: FORMAT_VERSION,
            broker: self.settings.broker.clone(),
            source: self.settings.source.clone(),
            created_ns: first_ns,
            ist_date: day.to_string(),
            instruments: (self.master)(),
        };
        let opened = fs::create_dir_all(&dir)
            .and_then(|_| File::create(&path))
            .and_then(|f| SegmentWriter::new(BufWriter::new(f), &header));
        match opened {
            Ok(writer) => {
                tracing::info!(file = %path.display(), instruments = header.instruments.len(), "recording the market day");
                self.shared.files_opened.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut t) = self.shared.text.lock() {
                    t.1 = Some(path.display().to_string());
                }
                self.open = Some(OpenFile {
                    day,
                    writer,
                    counted: 0,
                });
                self.count_bytes();
            }
            Err(e) => self.failed(format!("opening {}: {e}", path.display())),
        }
        self.apply_retention(day);
    }

    fn flush(&mut self) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        if let Err(e) = open.writer.flush_block() {
            let day = open.day;
            self.failed(format!("flushing {day}: {e}"));
        }
        self.count_bytes();
    }

    fn count_bytes(&mut self) {
        if let Some(open) = self.open.as_mut() {
            let now = open.writer.bytes_written();
            self.shared
                .bytes_written
                .fetch_add(now - open.counted, Ordering::Relaxed);
            open.counted = now;
        }
    }

    fn failed(&self, error: String) {
        let n = self.shared.write_errors.fetch_add(1, Ordering::Relaxed) + 1;
        if n == 1 || n.is_multiple_of(1000) {
            tracing::warn!(error = %error, write_errors = n, "recorder cannot write; live data is unaffected — check free space and permissions under store.data_dir");
        }
        if let Ok(mut t) = self.shared.text.lock() {
            t.0 = Some(error);
        }
    }

    fn apply_retention(&mut self, today: NaiveDate) {
        let s = self.settings.clone();
        if s.retention_days == 0 && s.retention_bytes == 0 {
            return;
        }
        let days = match retention::days_on_disk(&s.root) {
            Ok(d) => d,
            Err(e) => return self.failed(format!("listing {}: {e}", s.root.display())),
        };
        for day in retention::plan(&days, today, s.retention_days, s.retention_bytes) {
            let dir = s.root.join(day.to_string());
            match fs::remove_dir_all(&dir) {
                Ok(()) => {
                    tracing::info!(day = %day, "recorded day deleted by retention (recorder.retention_days / retention_bytes)")
                }
                Err(e) => self.failed(format!("deleting {}: {e}", dir.display())),
            }
        }
    }
}

/// `<dir>/<stem>.mrec`, or `<stem>-2.mrec`… if a file of that name exists.
fn unique_path(dir: &Path, stem: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.mrec"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}.mrec")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}
