//! Training progress on the terminal: a bar per epoch with loss and throughput.

use classlens_core::models::dkt::train::Progress;
use indicatif::{ProgressBar, ProgressStyle};

pub struct TrainBar {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl TrainBar {
    pub fn new(quiet: bool) -> Self {
        Self { bar: None, quiet }
    }

    pub fn update(&mut self, p: &Progress) {
        if self.quiet {
            return;
        }
        match p {
            Progress::Resumed { epoch } => eprintln!("resuming after epoch {epoch}"),
            Progress::EpochStart { epoch, epochs, batches } => {
                let bar = ProgressBar::new(*batches as u64);
                bar.set_style(
                    ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} batches {msg} ({elapsed})")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                bar.set_prefix(format!("{epoch}/{epochs}"));
                self.bar = Some(bar);
            }
            Progress::Batch { batch, loss, steps_per_sec } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(*batch as u64);
                    bar.set_message(format!("loss {loss:.4}, {steps_per_sec:.0} steps/s"));
                }
            }
            Progress::EpochEnd(r) => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                let valid = match &r.valid {
                    Some(v) => format!(", valid AUC {}, acc {:.4}", v.auc.map_or("n/a".into(), |a| format!("{a:.4}")), v.accuracy),
                    None => String::new(),
                };
                eprintln!("epoch {}: train loss {:.4}{valid} ({:.2} s)", r.epoch, r.train_loss, r.seconds);
            }
        }
    }
}
