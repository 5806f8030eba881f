//! Command-line surface (clap derive types only). The app layer ([`crate::app`]) turns these
//! into domain options; nothing below it imports this module.

use crate::batch::{CiTarget, Shard};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Monte Carlo simulator for homeland-security tabletop exercises.
#[derive(Debug, Parser)]
#[command(name = "tabletop", version, about, long_about = None)]
pub struct Cli {
    /// `-q`: print nothing but errors (no progress bar, no result table, no file listing);
    /// `-v`: also print the settings used, the scenario's warnings and timings.
    #[command(flatten)]
    pub(crate) verbosity: clap_verbosity_flag::Verbosity,
    /// Allow scenarios whose estimated work per run (agencies × ticks + signals ×
    /// partnerships) is above the default limit of 5 billion units (a whole number, also
    /// written `2e10` or `20_000_000_000`).
    #[arg(long, global = true, value_name = "UNITS", value_parser = parse_units)]
    pub(crate) max_work: Option<u64>,
    /// The subcommand.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check scenario files and report every problem with its line and column.
    Validate(ValidateArgs),
    /// Simulate one run and print its timeline as a narrative.
    Run(RunArgs),
    /// Run a Monte Carlo batch and write runs, summary, charts and the after-action report.
    Batch(BatchArgs),
    /// Vary scenario parameters (full factorial or Latin hypercube) and summarise each point.
    Sweep(SweepArgs),
    /// Price every partnership: knock-out, failure and alignment values with intervals,
    /// Shapley shares, risk and structure, into a batch directory with its report.
    Ledger(LedgerArgs),
    /// Merge shard directories of one batch into the directory a single machine would write.
    Merge(MergeArgs),
    /// Rebuild charts and the after-action report from a batch directory.
    Report(ReportArgs),
    /// Write a commented starter scenario that validates as written.
    New(NewArgs),
    /// Read a MSEL exported from a spreadsheet as CSV into a scenario's injects.
    ImportMsel(ImportMselArgs),
    /// Which uncertain parameters the answer depends on: Morris screening, Sobol' indices or
    /// PRIM boxes over the scenario's `uncertainty:` section.
    Sensitivity(SensitivityArgs),
    /// Fit the uncertain parameters to the real case's observed values (rejection ABC):
    /// accepted ranges, how much they narrow the priors, and the calibrated section.
    Calibrate(CalibrateArgs),
    /// Run a live exercise: a local web console for the facilitator and the teams.
    Serve(ServeArgs),
    /// Reproduce a played session from its log: the same files as `tabletop run`.
    Replay(ReplayArgs),
}

/// Arguments of `tabletop sensitivity`.
#[derive(Debug, Args)]
pub(crate) struct SensitivityArgs {
    /// Scenario file (RON) with an `uncertainty:` section.
    pub file: PathBuf,
    /// Method: `morris` screening, `sobol` indices or `prim` scenario discovery.
    #[arg(long, value_enum, default_value_t = SensMethodArg::Morris)]
    pub method: SensMethodArg,
    /// Seeded runs per design point.
    #[arg(long, default_value_t = 50)]
    pub runs: u64,
    /// Morris trajectories.
    #[arg(long, default_value_t = 10)]
    pub trajectories: usize,
    /// Sobol' base rows (N; N·(k+2) points) or PRIM sample points.
    #[arg(long, default_value_t = 64)]
    pub samples: usize,
    /// Study this variant instead of the scenario as written.
    #[arg(long)]
    pub variant: Option<String>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory [default: output/<scenario>/sensitivity-<method>-<seed>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Sobol' only: make the run seed a factor of the design (its indices are the share of
    /// the variance that is Monte Carlo noise).
    #[arg(long)]
    pub seed_factor: bool,
    /// Evaluate only shard K of N (design points i with i mod N == K-1) into a shard
    /// directory; `tabletop merge` joins the shards into the study.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
}

/// Arguments of `tabletop calibrate`.
#[derive(Debug, Args)]
pub(crate) struct CalibrateArgs {
    /// Scenario file (RON) with an `uncertainty:` and an `observed:` section.
    pub file: PathBuf,
    /// Prior draws of the uncertain parameters (a Latin hypercube).
    #[arg(long, default_value_t = 200)]
    pub draws: u64,
    /// Seeded runs per draw (the same seeds for every draw).
    #[arg(long, default_value_t = 40)]
    pub runs_per_draw: u64,
    /// Share of the draws accepted: those closest to the observed values.
    #[arg(long, default_value_t = 0.1)]
    pub accept: f64,
    /// Calibrate this variant instead of the scenario as written.
    #[arg(long)]
    pub variant: Option<String>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory [default: output/<scenario>/calibrate-<seed>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the scenario with the calibrated distributions to this file (comments kept; it
    /// is validated first). May name the scenario file itself.
    #[arg(long, value_name = "FILE")]
    pub write_back: Option<PathBuf>,
    /// With --write-back, also set each parameter's value to its accepted median.
    #[arg(long, requires = "write_back")]
    pub set_nominal: bool,
}

/// `--method` of `tabletop sensitivity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SensMethodArg {
    /// Morris elementary effects (groups move together).
    Morris,
    /// Sobol' first-order and total indices.
    Sobol,
    /// PRIM boxes where an objective falls to M or U.
    Prim,
}

/// Arguments of `tabletop serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Scenario file (RON); not needed with --resume (the log names it).
    pub file: Option<PathBuf>,
    /// Port to listen on.
    #[arg(long, default_value_t = 7878)]
    pub port: u16,
    /// Address to bind (127.0.0.1: this machine only; 0.0.0.0 to let other machines of the
    /// exercise network in).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Continue the session of this log (appending to it).
    #[arg(long, value_name = "LOG")]
    pub resume: Option<PathBuf>,
    /// Master seed of the played run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run index of the played run.
    #[arg(long, default_value_t = 0)]
    pub run_index: u64,
    /// Variant to play.
    #[arg(long)]
    pub variant: Option<String>,
    /// Session log to write [default: output/<scenario>/session-<seed>-<unix time>.jsonl].
    #[arg(long, value_name = "LOG")]
    pub log: Option<PathBuf>,
    /// Bind this agency's decisions to a team from the start (repeatable).
    #[arg(long = "team", value_name = "AGENCY")]
    pub teams: Vec<String>,
    /// Bind this agency's sharing decisions (with whom, under which TLP) to its team from the
    /// start (repeatable).
    #[arg(long = "team-shares", value_name = "AGENCY")]
    pub team_shares: Vec<String>,
}

/// Arguments of `tabletop replay`.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The session log (JSON Lines) written by `tabletop serve`.
    pub log: PathBuf,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Scenario file, when it has moved since the session (its hash must match the log's).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

/// Arguments of `tabletop import-msel`.
#[derive(Debug, Args)]
pub(crate) struct ImportMselArgs {
    /// The MSEL as CSV (columns found by header: number, id, time, from, to, synopsis,
    /// expected action, objectives; common synonyms accepted).
    pub csv: PathBuf,
    /// The scenario whose injects it updates (rewritten atomically unless --out is given).
    #[arg(long, value_name = "SCENARIO.ron")]
    pub into: PathBuf,
    /// Write the updated scenario here instead of over --into.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `tabletop validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Scenario files (RON).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Arguments of `tabletop run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Scenario file (RON).
    pub file: PathBuf,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run index within the batch of that seed (the run's random stream).
    #[arg(long, default_value_t = 0)]
    pub run_index: u64,
    /// Variant to apply (an id from the scenario's `variants`).
    #[arg(long)]
    pub variant: Option<String>,
    /// Output directory [default: output/<scenario>/run-<seed>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// How much of the timeline to print: `summary`, a page with repeated traffic folded;
    /// `full`, every event.
    #[arg(long, value_enum, default_value_t = Detail::Summary)]
    pub detail: Detail,
}

/// How much of a run's timeline `tabletop run` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Detail {
    /// A page: injects, first detections, the first time each agency learns of each threat,
    /// decisions, actions, failures and insider acts; repeated traffic folded into one line.
    Summary,
    /// Every event of the timeline.
    Full,
}

/// Arguments of `tabletop batch`.
#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// Scenario file (RON).
    pub file: PathBuf,
    /// Number of runs per variant.
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Variant to run beside the baseline (repeatable).
    #[arg(long = "variant")]
    pub variants: Vec<String>,
    /// Run every variant of the scenario beside the baseline.
    #[arg(long)]
    pub all_variants: bool,
    /// Output directory [default: output/<scenario>/batch-<seed>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard K of N (run indices i with i mod N == K-1), e.g. `--shard 2/3`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Complete an interrupted batch in --out instead of starting afresh.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Add runs until the 95% interval of METRIC is at most HALFWIDTH wide each side,
    /// e.g. `--until-ci time_to_detection=0.5` (capped by --max-runs).
    #[arg(long, value_name = "METRIC=HALFWIDTH")]
    pub until_ci: Option<CiTarget>,
    /// Cap on runs for --until-ci.
    #[arg(long, default_value_t = 100_000)]
    pub max_runs: u64,
    /// Skip charts and the report (runs, summary and manifest only).
    #[arg(long)]
    pub no_report: bool,
    /// Overwrite a non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// If --out already holds this very batch, finished (same scenario file, seed, runs,
    /// variants, shard and version), keep it and run nothing; anything else there is
    /// overwritten as with --force. For cluster arrays that are submitted again.
    #[arg(long, conflicts_with = "resume")]
    pub skip_finished: bool,
    /// Also run two-level Monte Carlo over the scenario's `uncertainty:` parameters: --draws
    /// parameter draws × --runs-per-draw runs each, per variant; writes uncertainty.json and
    /// a second interval beside every P(met) in the report.
    #[arg(long, conflicts_with_all = ["shard", "until_ci", "resume"])]
    pub uncertainty: bool,
    /// Outer draws of the uncertain parameters (Latin hypercube), with --uncertainty.
    #[arg(long, default_value_t = 40, requires = "uncertainty")]
    pub draws: u64,
    /// Inner runs per parameter draw (common random numbers: run seeds 0..N), with
    /// --uncertainty.
    #[arg(long, default_value_t = 200, requires = "uncertainty")]
    pub runs_per_draw: u64,
}

/// Arguments of `tabletop sweep`.
#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// Scenario file (RON).
    pub file: PathBuf,
    /// Parameter to vary, `PATH=V1,V2,...` or `PATH=MIN..MAX` for --design lhs (repeatable).
    #[arg(long = "param", required = true, value_name = "PATH=VALUES")]
    pub params: Vec<String>,
    /// Design: `full` factorial or `lhs` Latin hypercube.
    #[arg(long, value_enum, default_value_t = DesignArg::Full)]
    pub design: DesignArg,
    /// Samples for --design lhs.
    #[arg(long, default_value_t = 10)]
    pub samples: usize,
    /// Runs per configuration.
    #[arg(long, default_value_t = 200)]
    pub runs: u64,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output directory [default: output/<scenario>/sweep-<seed>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overwrite a non-empty output directory.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `tabletop ledger`.
#[derive(Debug, Args)]
pub(crate) struct LedgerArgs {
    /// Scenario file (RON).
    pub file: PathBuf,
    /// Most paired runs per partnership and measure (screening stops earlier once decided);
    /// also the runs of the scenario as written.
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Price partnerships or partner agencies.
    #[arg(long, value_enum, default_value_t = LedgerOfArg::Partnerships)]
    pub of: LedgerOfArg,
    /// Shapley values on the top K partnerships by knock-out value (exact up to 8).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub shapley: usize,
    /// Runs per Shapley coalition.
    #[arg(long, default_value_t = 200)]
    pub shapley_runs: u64,
    /// Stop sampling Shapley permutations once every standard error is at most this.
    #[arg(long, default_value_t = 0.02)]
    pub precision: f64,
    /// Antithetic permutation pairs of the Shapley estimate, at most (bounds its runs:
    /// pairs × 2K coalitions × --shapley-runs).
    #[arg(long, default_value_t = 12)]
    pub shapley_pairs: u64,
    /// Half-width of the negligible band on P(met): a difference inside it does not matter.
    #[arg(long, default_value_t = 0.02)]
    pub negligible: f64,
    /// Runs per screening block.
    #[arg(long, default_value_t = 100)]
    pub block: u64,
    /// Output directory [default: output/<scenario>/ledger-<seed>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard K of N (partnerships K, K+N, ...); `tabletop merge` joins the shards.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Skip charts and the report.
    #[arg(long)]
    pub no_report: bool,
    /// Overwrite a non-empty output directory.
    #[arg(long)]
    pub force: bool,
}

/// `--of` of `tabletop ledger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LedgerOfArg {
    /// Each partnership.
    Partnerships,
    /// Each partner agency (all of its partnerships at once).
    Agencies,
}

/// Arguments of `tabletop merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Shard directories written by `tabletop batch --shard K/N` (or `tabletop ledger
    /// --shard K/N`: the ledger parts are merged too; or `tabletop sensitivity --shard K/N`:
    /// the study's files are written).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output directory for the merged batch.
    #[arg(long, required_unless_present = "check")]
    pub out: Option<PathBuf>,
    /// Skip charts and the report.
    #[arg(long)]
    pub no_report: bool,
    /// Overwrite a non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// Worker threads for what merging a ledger computes (Shapley values) [default: all
    /// cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Only check that the shards are finished shards of one batch (and of the batch that
    /// --seed, --runs, --scenario and --variant describe); write nothing. Exit 0 when they
    /// can be merged, 2 with every problem named when not.
    #[arg(long)]
    pub check: bool,
    /// Every shard must have this master seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Every shard must be of a batch of this many runs per variant (of a sensitivity study:
    /// runs per design point).
    #[arg(long)]
    pub runs: Option<u64>,
    /// Every shard must have run this scenario file (same sha256).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Every shard must have run these variants beside the baseline (repeatable, in order;
    /// of a sensitivity study: the one variant studied).
    #[arg(long = "variant")]
    pub variants: Vec<String>,
    /// Every shard must have run all the variants of --scenario.
    #[arg(long, requires = "scenario", conflicts_with = "variants")]
    pub all_variants: bool,
}

/// Arguments of `tabletop report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A batch directory (holds manifest.json, summary.json, runs.csv).
    pub dir: PathBuf,
    /// A played session's log (from `tabletop serve`) to place in the batch's distribution:
    /// writes `session.html` beside the report.
    #[arg(long, value_name = "LOG")]
    pub session: Option<PathBuf>,
}

/// Arguments of `tabletop new`.
#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// Scenario name; writes `<NAME>.ron` unless --out is given.
    pub name: String,
    /// File to write.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `--design` of `tabletop sweep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DesignArg {
    /// Full factorial over `PATH=V1,V2,...` lists.
    Full,
    /// Latin hypercube over `PATH=MIN..MAX` ranges (`--samples` points).
    Lhs,
}

/// A whole number of work units: digits (with `_` between them) or a number in scientific
/// notation that is whole (`2e10`).
fn parse_units(s: &str) -> Result<u64, String> {
    let t: String = s.trim().chars().filter(|c| *c != '_').collect();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= u64::MAX as f64 => {
            Ok(x as u64)
        }
        _ => Err(format!(
            "expected a whole number of work units, such as 20000000000 or 2e10, not {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_units;

    #[test]
    fn work_units_take_digits_separators_and_whole_scientific_notation() {
        assert_eq!(parse_units("5000000000"), Ok(5_000_000_000));
        assert_eq!(parse_units("20_000_000_000"), Ok(20_000_000_000));
        assert_eq!(parse_units("1e13"), Ok(10_000_000_000_000));
        assert_eq!(parse_units("2.5e10"), Ok(25_000_000_000));
        for bad in ["1.5", "-3", "lots", "1e400", "NaN"] {
            assert!(parse_units(bad).is_err(), "{bad}");
        }
    }
}
