//! Fitting DKT to the class shown, as plain Rust: `core`'s [`DktFit`] (the trainer `classlens
//! train dkt` drives) stepped in slices of a time budget, so the page stays responsive, with
//! the events the page shows: progress (epoch, batch, loss, time left), then the verdict on
//! held-out students against each skill's mean, and the fitted pack when it beats it.
//!
//! Like [`crate::scorer`], it is a message protocol of plain data ([`FitEvent`]s out): the
//! caller owns the clock and the yielding (the page's driver; a Web Worker next), so every
//! transition is tested natively with a fake clock.

use classlens_core::fit::{DktFit, DktFitData, FitStep, Verdict, fitted_pack};
use serde::{Deserialize, Serialize};

/// How far a fit is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitProgress {
    pub epoch: usize,
    pub epochs: usize,
    /// Optimizer steps done, of `steps` in the whole fit.
    pub step: usize,
    pub steps: usize,
    /// The last batch's training loss.
    pub loss: f64,
    pub elapsed_s: f64,
    /// Estimated from the steps so far.
    pub left_s: f64,
    /// The best validation AUC so far (the held-out students that pick the epoch).
    pub best_valid_auc: Option<f64>,
}

impl FitProgress {
    pub fn line(&self) -> String {
        let valid = self.best_valid_auc.map(|a| format!(" · best validation AUC {a:.3}")).unwrap_or_default();
        format!(
            "Fitting DKT: epoch {} of {}, step {} of {} · loss {:.3}{valid} · {:.1} s, about {:.0} s left",
            self.epoch,
            self.epochs,
            self.step,
            self.steps,
            self.loss,
            self.elapsed_s,
            self.left_s.ceil()
        )
    }
}

/// What a fit says, in order: `Progress` after each slice, then one of the others, then nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FitEvent {
    Progress(FitProgress),
    /// Better than the baseline: the pack to use (f32, what `classlens` reads too).
    Fitted {
        verdict: Verdict,
        pack: Vec<u8>,
    },
    /// Trained, but not better than the baseline (or not judgeable): why, and the scores.
    Refused {
        verdict: Verdict,
        reason: String,
    },
    Failed(String),
    /// The teacher stopped it; nothing changes.
    Cancelled,
}

/// One fit over prepared data. See the module docs.
pub struct Fitter<'a> {
    data: &'a DktFitData,
    fit: DktFit<'a>,
    started_ms: f64,
    steps_done: usize,
    loss: f64,
    done: bool,
}

impl<'a> Fitter<'a> {
    /// `now_ms` is the caller's clock at the start.
    pub fn new(data: &'a DktFitData, now_ms: f64) -> Result<Self, String> {
        Ok(Self { fit: data.start()?, data, started_ms: now_ms, steps_done: 0, loss: f64::NAN, done: false })
    }

    /// Optimizer steps in the whole fit.
    pub fn total_steps(&self) -> usize {
        self.fit.total_steps()
    }

    /// Trains until `now_ms()` has moved `budget_ms` past the slice's start (at least one
    /// step), and says how far it got; the verdict once every epoch is trained; `None` after.
    pub fn slice(&mut self, budget_ms: f64, now_ms: &mut dyn FnMut() -> f64) -> Option<FitEvent> {
        if self.done {
            return None;
        }
        let start = now_ms();
        loop {
            let mut loss = self.loss;
            let step = self.fit.step(&mut |p| {
                if let classlens_core::fit::Progress::Batch { loss: l, .. } = p {
                    loss = *l;
                }
            });
            self.loss = loss;
            match step {
                Err(e) => return Some(self.end(FitEvent::Failed(e.to_string()))),
                Ok(FitStep::Finished) => return Some(self.finish()),
                Ok(_) => self.steps_done += 1,
            }
            let now = now_ms();
            if now - start >= budget_ms {
                return Some(FitEvent::Progress(self.progress(now)));
            }
        }
    }

    fn progress(&self, now: f64) -> FitProgress {
        let elapsed_s = (now - self.started_ms) / 1000.0;
        let steps = self.total_steps();
        let per_step = elapsed_s / self.steps_done.max(1) as f64;
        let per_epoch = self.fit.batches_per_epoch().max(1);
        FitProgress {
            epoch: (self.steps_done.saturating_sub(1) / per_epoch + 1).min(self.data.settings.train.epochs),
            epochs: self.data.settings.train.epochs,
            step: self.steps_done,
            steps,
            loss: self.loss,
            elapsed_s,
            left_s: per_step * steps.saturating_sub(self.steps_done) as f64,
            best_valid_auc: self.fit.best_valid_auc(),
        }
    }

    fn finish(&mut self) -> FitEvent {
        let Some(model) = self.fit.best_model() else { return self.end(FitEvent::Failed("no epoch was trained".into())) };
        let verdict = self.data.verdict(&model);
        let event = match verdict.accept() {
            Ok(()) => match fitted_pack(&model, &verdict) {
                Ok(pack) => FitEvent::Fitted { verdict, pack },
                Err(e) => FitEvent::Failed(format!("the fitted model could not be packed: {e}")),
            },
            Err(reason) => FitEvent::Refused { verdict, reason },
        };
        self.end(event)
    }

    fn end(&mut self, event: FitEvent) -> FitEvent {
        self.done = true;
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::{Classroom, UploadedFile};
    use classlens_core::fit::{DktFitSettings, fit_dkt, prepare_dkt};
    use classlens_core::synth::{SKILL_BUILDER_FILE, SynthConfig, generate, render_files};

    fn class() -> Classroom {
        let files = render_files(&generate(&SynthConfig::small())).unwrap();
        let (name, bytes) = files.into_iter().find(|(n, _)| *n == SKILL_BUILDER_FILE).unwrap();
        Classroom::from_files(&[UploadedFile { name: name.into(), bytes }], None).unwrap()
    }

    #[test]
    fn slices_report_progress_then_the_same_verdict_as_one_call() {
        let c = class();
        let data = prepare_dkt(&c.practice, SKILL_BUILDER_FILE, &DktFitSettings::default()).unwrap();
        // A clock that moves 1 ms per reading: a 3 ms budget is about two steps per slice.
        let mut t = 0.0;
        let mut clock = move || {
            t += 1.0;
            t
        };
        let mut f = Fitter::new(&data, 0.0).unwrap();
        let total = f.total_steps();
        let mut events = Vec::new();
        while let Some(e) = f.slice(3.0, &mut clock) {
            events.push(e);
        }
        let progress: Vec<&FitProgress> = events.iter().filter_map(|e| if let FitEvent::Progress(p) = e { Some(p) } else { None }).collect();
        assert!(progress.len() > 5, "{} slices", progress.len());
        assert!(progress.windows(2).all(|w| w[0].step < w[1].step && w[0].epoch <= w[1].epoch && w[1].step <= total));
        assert!(progress.iter().all(|p| p.loss.is_finite() && p.left_s >= 0.0 && p.epochs == 20));
        assert!(progress.last().unwrap().best_valid_auc.is_some());
        let (_, want) = fit_dkt(&data).unwrap();
        match events.last().unwrap() {
            FitEvent::Fitted { verdict, pack } => {
                assert_eq!(verdict, &want, "stepping in slices trains exactly what one call does");
                let opened = crate::packs::open_pack("fitted.pack", pack, crate::packs::Origin::Fitted).unwrap();
                assert_eq!(opened.role(), crate::packs::Role::Mastery);
            }
            other => panic!("expected a fitted model, got {other:?}"),
        }
        assert_eq!(f.slice(3.0, &mut clock), None, "nothing after the end");
    }
}
