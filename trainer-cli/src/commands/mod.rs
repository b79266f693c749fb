//! The command tree. Each subcommand parses its flags and calls into `classlens-core`.

mod akt;
mod bench;
mod bench_infer;
mod bench_sampler;
mod bench_study;
mod bkt;
mod bst;
mod data_args;
mod demo;
mod distill;
mod dkt;
mod export;
mod influence;
mod kt_split;
mod load_model;
mod mf;
mod study;
mod synth;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "classlens", version, about = "Train, evaluate and export classlens models (everything runs locally)")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate the built-in synthetic classroom (ASSISTments-like and STUDY-like CSVs).
    Synth(synth::SynthArgs),
    /// Train a model.
    #[command(subcommand)]
    Train(TrainCommand),
    /// Evaluate a trained model on held-out students.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Write a trained model directory as one model pack (config, vocabulary, quantized weights).
    Export(export::ExportArgs),
    /// Train a smaller student from a trained teacher (DKT, MF) and compare it with the same student trained alone.
    Distill(distill::DistillArgs),
    /// Suggest the next reads of chosen students from a trained STUDY or Individual model.
    Recommend(study::RecommendArgs),
    /// Print a student × skill mastery table from a trained DKT, attention (akt) or BKT model.
    Mastery(dkt::MasteryArgs),
    /// Influence between skills learned by a DKT model (and, given concepts, how well it recovers them).
    Influence(influence::InfluenceArgs),
    /// Measure training and inference speed.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The offline demo: generate the built-in classroom, train a small DKT, print mastery.
    Demo(demo::DemoArgs),
}

#[derive(Subcommand, Debug)]
enum TrainCommand {
    /// Deep Knowledge Tracing (LSTM over (skill, correct) steps).
    Dkt(dkt::TrainArgs),
    /// Attention knowledge tracing (AKT family: Rasch problem embeddings, distance-decayed attention).
    Akt(akt::TrainArgs),
    /// Bayesian knowledge tracing per skill (prior, learn, guess, slip; EM as in pyBKT).
    Bkt(bkt::TrainArgs),
    /// STUDY: a transformer decoder over classroom rows that also sees classmates' earlier reads.
    Study(study::TrainArgs),
    /// Individual: the same decoder over each student's own reads only.
    Individual(study::TrainArgs),
    /// BST: a transformer over a student's recent reads plus grade, school and class, with an MLP head.
    Bst(bst::TrainArgs),
    /// Matrix factorisation of a student × item matrix (MSE on ratings or BPR on implicit feedback).
    Mf(mf::TrainArgs),
}

#[derive(Subcommand, Debug)]
enum EvalCommand {
    /// AUC, accuracy, RMSE, log-loss and per-skill AUC of a DKT model.
    Dkt(dkt::EvalArgs),
    /// AUC, accuracy, RMSE, log-loss of an attention model (`train akt`), on the steps `eval dkt` scores.
    Akt(akt::EvalArgs),
    /// AUC, accuracy, RMSE, log-loss of a BKT model (`train bkt`), on the steps `eval dkt` scores.
    Bkt(bkt::EvalArgs),
    /// hits@n of a STUDY or Individual model (directory or pack) on a reading log.
    Study(study::EvalArgs),
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Training seconds per epoch, inference latency of 32 students × 100 steps, peak memory.
    Dkt(bench::BenchDktArgs),
    /// Loader throughput and peak memory on one file.
    Load(bench::BenchLoadArgs),
    /// STUDY training tokens/s (2 layers, 4 heads, 128 dims) and `recommend` latency for a classroom.
    Study(bench_study::BenchStudyArgs),
    /// A model pack as the app uses it: size, load time, first and steady-state latency.
    Infer(bench_infer::BenchInferArgs),
    /// The share of a training epoch spent drawing batches rather than computing (MF, DKT).
    Sampler(bench_sampler::BenchSamplerArgs),
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Synth(a) => synth::run(a),
        Command::Train(TrainCommand::Dkt(a)) => dkt::train(a),
        Command::Train(TrainCommand::Akt(a)) => akt::train(a),
        Command::Train(TrainCommand::Bkt(a)) => bkt::train(a),
        Command::Train(TrainCommand::Study(a)) => study::train(classlens_core::models::study::net::RecommenderKind::Study, a),
        Command::Train(TrainCommand::Individual(a)) => study::train(classlens_core::models::study::net::RecommenderKind::Individual, a),
        Command::Train(TrainCommand::Mf(a)) => mf::train(a),
        Command::Train(TrainCommand::Bst(a)) => bst::train(a),
        Command::Distill(a) => distill::run(a),
        Command::Export(a) => export::run(a),
        Command::Recommend(a) => study::recommend(a),
        Command::Eval(EvalCommand::Dkt(a)) => dkt::eval(a),
        Command::Eval(EvalCommand::Akt(a)) => akt::eval(a),
        Command::Eval(EvalCommand::Bkt(a)) => bkt::eval(a),
        Command::Eval(EvalCommand::Study(a)) => study::eval(a),
        Command::Mastery(a) => dkt::mastery(a),
        Command::Influence(a) => influence::run(a),
        Command::Bench(BenchCommand::Dkt(a)) => bench::dkt(a),
        Command::Bench(BenchCommand::Load(a)) => bench::load(a),
        Command::Bench(BenchCommand::Study(a)) => bench_study::study(a),
        Command::Bench(BenchCommand::Infer(a)) => bench_infer::infer(a),
        Command::Bench(BenchCommand::Sampler(a)) => bench_sampler::sampler(a),
        Command::Demo(a) => demo::run(a),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap checks flag clashes (two `--format`s, say) only in this debug assertion.
    #[test]
    fn command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
