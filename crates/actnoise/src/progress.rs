//! Progress bars (indicatif) for training and evaluation.

use actnoise_sampler::Progress;
use actnoise_train::{EpochMetrics, Observer, StepInfo};
use indicatif::{ProgressBar, ProgressStyle};

/// A bar over all steps of a training: epoch, loss, images/s, ETA.
pub struct TrainBar {
    bar: ProgressBar,
    label: String,
    started: bool,
}

impl TrainBar {
    /// A hidden bar until the first step tells the total.
    pub fn new(label: &str) -> Self {
        let bar = ProgressBar::hidden();
        Self { bar, label: label.to_string(), started: false }
    }

    /// Ends the bar, leaving its last line.
    pub fn finish(&self) {
        self.bar.finish();
    }
}

impl Observer for TrainBar {
    fn on_step(&mut self, s: &StepInfo) {
        let total = (s.epochs * s.steps) as u64;
        if !self.started && total > 0 {
            self.started = true;
            self.bar = ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} steps, {msg}, ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            self.bar.set_prefix(self.label.clone());
        }
        self.bar.set_position(((s.epoch - 1) * s.steps + s.step) as u64);
        self.bar.set_message(format!(
            "epoch {}/{} loss {:.5} {:.0} img/s",
            s.epoch, s.epochs, s.loss, s.images_per_s
        ));
    }

    fn on_epoch(&mut self, m: &[EpochMetrics]) {
        let n = m.len().max(1) as f64;
        let clean = m.iter().map(|x| x.loss_clean).sum::<f64>() / n;
        let noisy = m.iter().map(|x| x.loss_noisy).sum::<f64>() / n;
        if let Some(first) = m.first() {
            let line = format!(
                "  {} epoch {}: clean loss Iˢ {clean:.5}, noisy loss I {noisy:.5}, Iᶻ {:.5}, {:.0} img/s",
                self.label,
                first.epoch,
                noisy - clean,
                first.images_per_s
            );
            // A bar that is not drawn (no terminal) would swallow the line.
            if self.bar.is_hidden() {
                println!("{line}");
            } else {
                self.bar.println(line);
            }
        }
    }
}

/// A bar over the test images of one evaluation.
pub struct EvalBar {
    bar: ProgressBar,
    label: String,
    started: bool,
}

impl EvalBar {
    /// A hidden bar until the first report tells the total.
    pub fn new(label: &str) -> Self {
        Self { bar: ProgressBar::hidden(), label: label.to_string(), started: false }
    }

    /// Ends the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for EvalBar {
    fn on_images(&mut self, done: usize, total: usize) {
        if !self.started && total > 0 {
            self.started = true;
            self.bar = ProgressBar::new(total as u64).with_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} images, ETA {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            self.bar.set_prefix(self.label.clone());
        }
        self.bar.set_position(done as u64);
    }
}
