//! `train bst`: the Behaviour Sequence Transformer on reading logs, reported with the same hits@n
//! tables as STUDY (against the popularity and co-occurrence baselines, on the same reads).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use classlens_core::eval::hits::{aggregate, aggregate_csv, per_student_csv, score_per_read};
use classlens_core::eval::report::{MethodHits, baselines, comparison_table};
use classlens_core::io::write_atomic;
use classlens_core::models::bst::net::{BstConfig, Positions};
use classlens_core::models::bst::train::{BstModelDir, BstProgress, BstRunConfig, BstTrainConfig, ContextVocab, Examples, train_bst};
use classlens_core::sequences::study::{PackConfig, TitleVocab, build_study, split_by_classroom, split_selection};
use indicatif::{ProgressBar, ProgressStyle};

use super::data_args::DataArgs;
use super::study::{DeviceArg, check_ns, device_backend, load_reads, warn_report};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum PositionsArg {
    Sinusoidal,
    Learned,
}

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Reading logs to train on (STUDY `student_activity.csv` with its `student_info.csv`).
    #[arg(long)]
    pub train_data: PathBuf,
    /// Reading logs to evaluate on; without it, --valid-frac of the classrooms are held out.
    #[arg(long)]
    pub valid_data: Option<PathBuf>,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[arg(long, default_value_t = 0.2)]
    pub valid_frac: f64,
    /// Share of the *training* classrooms held out to choose the epoch kept (the lowest loss on
    /// them), so the classrooms reported never choose it. Data too small to cut one chooses on
    /// the validation classrooms and says the scores are optimistic.
    #[arg(long, default_value_t = 0.1)]
    pub select_frac: f64,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub resume: bool,
    #[arg(long, default_value_t = 2000)]
    pub vocab_size: usize,
    /// Recent reads the encoder sees.
    #[arg(long, default_value_t = 20)]
    pub max_len: usize,
    #[arg(long, default_value_t = 64)]
    pub d_model: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    #[arg(long, default_value_t = 128)]
    pub d_ff: usize,
    /// Size of each context embedding (grade, school, class).
    #[arg(long, default_value_t = 16)]
    pub context_dim: usize,
    /// Hidden units of the MLP head (the reference notebook's 1024).
    #[arg(long, default_value_t = 256)]
    pub mlp_hidden: usize,
    #[arg(long, value_enum, default_value_t = PositionsArg::Sinusoidal)]
    pub positions: PositionsArg,
    #[arg(long, default_value_t = 0.1)]
    pub dropout: f64,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// AdamW's rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Epochs after which the rate is multiplied by --lr-gamma.
    #[arg(long, value_delimiter = ',', default_value = "6,8")]
    pub lr_milestones: Vec<usize>,
    #[arg(long, default_value_t = 0.3)]
    pub lr_gamma: f64,
    /// First epoch's gradient-norm threshold; then mean + std of the previous epoch's norms.
    #[arg(long, default_value_t = 1.0)]
    pub clip: f64,
    /// No gradient clipping.
    #[arg(long)]
    pub no_clip: bool,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_delimiter = ',', default_value = "1,3,5,10,20")]
    pub n_recommendations: Vec<usize>,
    /// Train on the CPU or through burn's wgpu runtime (builds with the `wgpu` feature).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    #[arg(long)]
    pub quiet: bool,
}

pub fn train(a: TrainArgs) -> Result<()> {
    check_ns(&a.n_recommendations)?;
    let all = load_reads(&a.data_args, &a.train_data)?;
    let (train_data, valid_data) = match &a.valid_data {
        Some(path) => (all, load_reads(&a.data_args, path)?),
        None => split_by_classroom(&all, a.valid_frac, a.seed).map_err(anyhow::Error::msg)?,
    };
    // The epoch is chosen on classrooms cut from the training data, never on those reported.
    let (fit_data, select_data) = split_selection(&train_data, a.select_frac, a.seed).map_err(anyhow::Error::msg)?;
    let vocab = TitleVocab::from_training(&fit_data, a.vocab_size);
    let context = ContextVocab::from_training(&fit_data);
    // The packed rows are not used by BST; the sequences and classrooms are (the baselines).
    let pack = PackConfig::new(65, 65)?;
    let train = build_study(&fit_data, &vocab, &pack);
    let valid = build_study(&valid_data, &vocab, &pack);
    let select = build_study(&select_data, &vocab, &pack);
    warn_report("training data", &train.report);
    warn_report("validation data", &valid.report);
    let train_ex = Examples::new(&fit_data, &train.seqs, &vocab, &context);
    let valid_ex = Examples::new(&valid_data, &valid.seqs, &vocab, &context);
    let select_ex = Examples::new(&select_data, &select.seqs, &vocab, &context);
    if valid_ex.index.is_empty() {
        bail!("no validation reads: pass --valid-data or a --valid-frac that holds out at least one classroom");
    }
    let chosen_on = if select_ex.index.is_empty() {
        eprintln!(
            "warning: --select-frac {} holds out no training classroom here, so the epoch is chosen on the validation classrooms: their scores below are optimistic",
            a.select_frac
        );
        "validation"
    } else {
        "selection"
    };
    let choose_ex = if select_ex.index.is_empty() { &valid_ex } else { &select_ex };
    let model = BstConfig {
        vocab_size: vocab.len(),
        d_model: a.d_model,
        n_heads: a.heads,
        n_layers: a.layers,
        d_ff: a.d_ff,
        max_len: a.max_len,
        positions: match a.positions {
            PositionsArg::Sinusoidal => Positions::Sinusoidal,
            PositionsArg::Learned => Positions::Learned,
        },
        context_sizes: context.sizes(),
        context_dim: a.context_dim,
        mlp_hidden: a.mlp_hidden,
        dropout: a.dropout,
    };
    model.validate().map_err(anyhow::Error::msg)?;
    let train_cfg = BstTrainConfig {
        epochs: a.epochs,
        batch_size: a.batch_size,
        learning_rate: a.lr,
        weight_decay: a.weight_decay,
        lr_milestones: a.lr_milestones.clone(),
        lr_gamma: a.lr_gamma,
        clip: (!a.no_clip).then_some(a.clip),
        seed: a.seed,
        select_frac: a.select_frac,
        backend: device_backend(a.device)?,
    };
    train_cfg.validate().map_err(anyhow::Error::msg)?;
    let run = BstRunConfig::new(model, train_cfg);
    if !a.quiet {
        eprintln!(
            "bst: {} titles, {} schools, {} classes; {} training examples, {} validation examples, {} to choose the epoch on; {} parameters",
            vocab.num_titles(),
            context.schools.len(),
            context.classes.len(),
            train_ex.index.len(),
            valid_ex.index.len(),
            select_ex.index.len(),
            model.n_params()
        );
    }
    let quiet = a.quiet;
    let mut bar: Option<ProgressBar> = None;
    train_bst(&train_ex, choose_ex, &vocab, &context, &run, &a.out, a.resume, &mut |p| {
        if quiet {
            return;
        }
        match p {
            BstProgress::Resumed { epoch } => eprintln!("resuming after epoch {epoch}"),
            BstProgress::Epoch { epoch, epochs, batches } => {
                let b = ProgressBar::new(batches as u64);
                b.set_style(
                    ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} batches {msg} ({elapsed})")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                b.set_prefix(format!("{epoch}/{epochs}"));
                bar = Some(b);
            }
            BstProgress::Batch { batch, loss } => {
                if let Some(b) = &bar {
                    b.set_position(batch as u64);
                    b.set_message(format!("loss {loss:.3}"));
                }
            }
            BstProgress::EpochEnd(r) => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                let v = r.valid.map_or(String::new(), |v| format!(", {chosen_on} loss {:.3}, hits@1 {:.3}, hits@10 {:.3}", v.loss, v.hits_at_1, v.hits_at_10));
                eprintln!(
                    "epoch {}: train loss {:.3}, lr {:.2e}, clip {}, {} of the steps clipped{v} ({:.1} s)",
                    r.epoch,
                    r.train_loss,
                    r.learning_rate,
                    r.clip.map_or("off".into(), |c| format!("{c:.3}")),
                    r.clipped_steps,
                    r.seconds
                );
            }
        }
    })?;
    let loaded = BstModelDir::load(&a.out)?;
    let ns = &a.n_recommendations;
    let n = ns.iter().copied().max().unwrap_or(20);
    let lists = loaded.per_read(&valid_data, &valid.seqs, n);
    let per_student = score_per_read(&valid_data, &valid.seqs, &lists, &vocab, ns);
    let mut methods = vec![MethodHits { method: "bst".into(), aggregate: aggregate(&per_student), per_student }];
    methods.extend(baselines(&train.seqs, &valid_data, &valid, &vocab, ns));
    let out = &a.out;
    let write = |name: &str, bytes: &[u8]| write_atomic(&out.join(name), bytes).with_context(|| format!("writing {}", out.join(name).display()));
    write("per_student.csv", per_student_csv(&methods[0].per_student)?.as_bytes())?;
    write("aggregate.csv", aggregate_csv(&methods[0].aggregate)?.as_bytes())?;
    write(
        "report.json",
        &serde_json::to_vec_pretty(&serde_json::json!({ "model": "bst", "params": model.n_params(), "epoch_chosen_on": chosen_on, "methods": methods }))?,
    )?;
    println!("hits@n on the validation reads after each student's first (mean over students):");
    print!("{}", comparison_table(&methods, ns));
    Ok(())
}
