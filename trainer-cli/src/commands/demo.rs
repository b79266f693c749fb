//! `demo`: the offline demo from the README's first command. Everything it uses is built in:
//! the synthetic classroom, the loaders, DKT training and the mastery table.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use classlens_core::data::assistments::{AssistmentsOptions, load_assistments};
use classlens_core::models::dkt::train::{evaluate_dkt, train_dkt};
use classlens_core::models::dkt::{DktModel, DktTrainConfig};
use classlens_core::sequences::kt::{Scoring, kt_splits};
use classlens_core::synth::{SKILL_BUILDER_FILE, default_classroom, write_dir};

use classlens_core::infer::mastery::mastery_table;

use super::dkt::{TableFormat, render_table};
use crate::progress::TrainBar;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the classroom and the model are written.
    #[arg(long, default_value = "runs/demo")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
}

pub fn run(a: DemoArgs) -> Result<()> {
    let class_dir = a.out.join("classroom");
    let model_dir = a.out.join("dkt");
    let classroom = default_classroom();
    write_dir(&classroom, &class_dir)?;
    let data = load_assistments(&class_dir.join(SKILL_BUILDER_FILE), &AssistmentsOptions::default())?;
    println!("built-in classroom: {} students, {} answered problems -> {}", data.students.len(), data.events.len(), class_dir.display());

    let splits = kt_splits(&data, None, 0.15, 0.15, 7);
    // Small and quick: 96 training students are little data, so a small model with a larger step.
    let cfg = DktTrainConfig { hidden: 32, window: 100, batch_size: 16, epochs: a.epochs, learning_rate: 1e-2, seed: 7, ..Default::default() };
    let mut bar = TrainBar::new(false);
    train_dkt(&splits.train, &splits.valid, &splits.vocab, &splits.problems, &cfg, &model_dir, false, &mut |p| bar.update(p))?;
    let model = DktModel::load(&model_dir)?;
    let test = evaluate_dkt(&model.weights, &model.vocab, &splits.test, Scoring::Windows(cfg.window)).overall;
    println!(
        "DKT on {} held-out students: AUC {:.3}, accuracy {:.3} (next-step prediction; a constant guess scores AUC 0.5)",
        splits.test.len(),
        test.auc.unwrap_or(f64::NAN),
        test.accuracy
    );

    // The first class of the first school: the classroom a teacher would open.
    let class = data.student_info.first().and_then(|i| i.class);
    let (seqs, _) = model.sequences(&data);
    let mut students: Vec<String> =
        (0..data.students.len() as u32).filter(|&s| data.student_info[s as usize].class == class).map(|s| data.students.name(s).to_string()).collect();
    students.sort();
    let table = mastery_table(&model, &seqs, &students)?;
    let class_name = class.map(|c| data.classes.name(c).to_string()).unwrap_or_default();
    println!("\nMastery of class {class_name}: probability of answering each skill correctly next");
    print!("{}", render_table(&table, TableFormat::Pretty)?);
    println!(
        "\nmodel: {}  (try: classlens mastery --model {} --data {} --table csv)",
        model_dir.display(),
        model_dir.display(),
        class_dir.join(SKILL_BUILDER_FILE).display()
    );
    Ok(())
}
