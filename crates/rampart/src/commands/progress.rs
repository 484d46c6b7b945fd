//! A spinner on stderr for scans that take a while.
//!
//! It stays hidden for the first two seconds, so quick scans never flicker, and entirely
//! when stderr is not a terminal (CI logs, pipes). A timer thread turns it on; the scan
//! itself only swaps a message between phases, so it costs nothing measurable.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a scan runs before the spinner shows.
const DELAY: Duration = Duration::from_secs(2);

/// The spinner, or nothing when stderr is not a terminal.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    /// Set once the spinner is cleared, so that a late timer does not show it again.
    done: Arc<Mutex<bool>>,
}

impl Progress {
    /// Starts the timer (when stderr is a terminal).
    pub(crate) fn start(message: &'static str) -> Self {
        let done = Arc::new(Mutex::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None, done };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        let (timer_bar, timer_done) = (bar.clone(), Arc::clone(&done));
        let spawned = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                std::thread::sleep(DELAY);
                // The lock is held while the spinner turns on, so `finish` cannot
                // clear it in between and leave it spinning.
                if let Ok(done) = timer_done.lock()
                    && !*done
                {
                    timer_bar.set_draw_target(ProgressDrawTarget::stderr());
                    timer_bar.enable_steady_tick(Duration::from_millis(120));
                }
            });
        Progress {
            bar: spawned.is_ok().then_some(bar),
            done,
        }
    }

    /// Names the phase the scan is in.
    pub(crate) fn phase(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Clears the spinner before the report is written.
    pub(crate) fn finish(&self) {
        if let Ok(mut done) = self.done.lock() {
            *done = true;
            if let Some(bar) = &self.bar {
                bar.finish_and_clear();
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
