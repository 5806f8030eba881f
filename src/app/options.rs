//! The one place where clap types ([`crate::cli`]) become domain types: each subcommand's
//! arguments are checked and turned into a [`Request`]; a bad value is a usage error naming
//! its flag.

use crate::batch::sweep::{Design, parse_param};
use crate::batch::uncertainty::UncertaintyOptions;
use crate::batch::{BatchOptions, DirMode, MergeExpect, MergeOptions, SweepOptions};
use crate::cli::{Cli, Command, DesignArg, LedgerOfArg};
use crate::error::{Error, Result};
use crate::ledger::LedgerOptions;
use crate::ledger::data::LedgerOf;
use crate::scenario::NewOptions;
use clap_verbosity_flag::VerbosityFilter;
use std::path::PathBuf;

/// How much the commands print besides errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Verbosity {
    /// `-q`: nothing but errors (no progress bar, no tables, no file listing).
    pub quiet: bool,
    /// `-v`: settings, scenario warnings and timings on stderr as well.
    pub verbose: bool,
    /// `--max-work`: the limit on one run's estimated work (None: the default).
    pub max_work: Option<u64>,
}

/// `tabletop run`: one run of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunRequest {
    /// Scenario file.
    pub file: PathBuf,
    /// Master seed.
    pub seed: u64,
    /// Run index (the run's random stream).
    pub run_index: u64,
    /// Variant to apply.
    pub variant: Option<String>,
    /// Output directory (None: `output/<scenario>/run-<seed>[-<index>][-<variant>]/`).
    pub out: Option<PathBuf>,
    /// Print every event of the timeline (else the folded narrative).
    pub full: bool,
}

/// A subcommand with its options in domain terms.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    /// Check scenario files.
    Validate {
        /// The files.
        files: Vec<PathBuf>,
    },
    /// Write a starter scenario.
    New(NewOptions),
    /// Simulate one run and tell it.
    Run(RunRequest),
    /// A Monte Carlo batch, then (unless `report` is false) its report.
    Batch {
        /// Scenario file.
        file: PathBuf,
        /// The batch.
        options: BatchOptions,
        /// Write charts and the report after the runs.
        report: bool,
    },
    /// A sensitivity study.
    Sensitivity {
        /// Scenario file.
        file: PathBuf,
        /// The study.
        options: crate::batch::sensitivity::SensOptions,
    },
    /// A calibration against the observed values.
    Calibrate {
        /// Scenario file.
        file: PathBuf,
        /// The calibration.
        options: crate::batch::calibrate::CalibrateOptions,
    },
    /// A parameter sweep.
    Sweep {
        /// Scenario file.
        file: PathBuf,
        /// The sweep.
        options: SweepOptions,
    },
    /// Merge shards, then (unless `report` is false) write the report.
    /// `tabletop import-msel`.
    ImportMsel {
        /// The MSEL CSV.
        csv: PathBuf,
        /// The scenario to update.
        into: PathBuf,
        /// Where to write (None: over `into`).
        out: Option<PathBuf>,
    },
    Merge {
        /// The merge.
        options: MergeOptions,
        /// Write charts and the report after merging.
        report: bool,
        /// Worker threads for a ledger merge.
        jobs: Option<usize>,
        /// Only check the shards (`--check`); write nothing.
        check: bool,
    },
    /// The partnership ledger: a batch of the scenario as written, the ledger, the report.
    Ledger {
        /// Scenario file.
        file: PathBuf,
        /// The baseline batch (runs, seed, jobs, out, shard, mode).
        batch: BatchOptions,
        /// The ledger.
        options: LedgerOptions,
        /// Write charts and the report after the runs.
        report: bool,
    },
    /// Rebuild the report of a batch directory.
    Report {
        /// The batch directory.
        dir: PathBuf,
        /// A played session to place in the batch's distribution.
        session: Option<PathBuf>,
    },
    /// Serve the live exercise console.
    Serve(ServeRequest),
    /// Replay a session log into run files.
    Replay {
        /// The log.
        log: PathBuf,
        /// Output directory.
        out: PathBuf,
        /// Scenario file overriding the log's.
        scenario: Option<PathBuf>,
    },
}

/// `tabletop serve` in domain terms.
#[derive(Debug, Clone)]
pub(crate) struct ServeRequest {
    /// Scenario file (None with `resume`, or to start on the console's scenario picker).
    pub file: Option<PathBuf>,
    /// Address to listen on.
    pub addr: std::net::SocketAddr,
    /// Log to resume.
    pub resume: Option<PathBuf>,
    /// Seed of the played run.
    pub seed: u64,
    /// Run index of the played run.
    pub run_index: u64,
    /// Variant.
    pub variant: Option<String>,
    /// Log file to write.
    pub log: Option<PathBuf>,
    /// Agencies bound to teams from the start.
    pub teams: Vec<String>,
    /// Agencies whose sharing decisions are bound to teams from the start.
    pub team_shares: Vec<String>,
}

/// The process's command line, shell-quoted where needed (for manifests).
pub(super) fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn jobs(jobs: Option<usize>) -> Result<Option<usize>> {
    match jobs {
        Some(0) => Err(Error::usage("--jobs 0", "must be at least 1")),
        j => Ok(j),
    }
}

impl Request {
    /// Turn parsed arguments into a request and the verbosity to run it with.
    pub(crate) fn from_cli(cli: &Cli) -> Result<(Request, Verbosity)> {
        let filter = cli.verbosity.filter();
        let verbosity = Verbosity {
            max_work: cli.max_work,
            quiet: filter == VerbosityFilter::Off,
            verbose: !matches!(filter, VerbosityFilter::Off | VerbosityFilter::Error),
        };
        let progress = !verbosity.quiet;
        let req = match &cli.command {
            Command::Validate(a) => Request::Validate {
                files: a.files.clone(),
            },
            Command::New(a) => Request::New(NewOptions {
                name: a.name.clone(),
                path: a.out.clone().unwrap_or_else(|| {
                    PathBuf::from(format!("{}.ron", crate::output::safe_file_name(&a.name)))
                }),
                force: a.force,
            }),
            Command::Run(a) => Request::Run(RunRequest {
                file: a.file.clone(),
                seed: a.seed,
                run_index: a.run_index,
                variant: a.variant.clone(),
                out: a.out.clone(),
                full: a.detail == crate::cli::Detail::Full,
            }),
            Command::Batch(a) => Request::Batch {
                file: a.file.clone(),
                options: BatchOptions {
                    runs: a.runs,
                    seed: a.seed,
                    jobs: jobs(a.jobs)?,
                    variants: a.variants.clone(),
                    all_variants: a.all_variants,
                    out: a.out.clone(),
                    shard: a.shard,
                    until_ci: a.until_ci.clone().map(|t| t.with_max_runs(a.max_runs)),
                    mode: match (a.resume, a.force || a.skip_finished) {
                        (true, _) => DirMode::Resume,
                        (false, true) => DirMode::Force,
                        (false, false) => DirMode::Fresh,
                    },
                    progress,
                    command: command_line(),
                    skip_finished: a.skip_finished,
                    uncertainty: a.uncertainty.then_some(UncertaintyOptions {
                        draws: a.draws,
                        runs_per_draw: a.runs_per_draw,
                    }),
                },
                report: !a.no_report,
            },
            Command::Sensitivity(a) => {
                use crate::cli::SensMethodArg;
                use crate::sensitivity::study::Method;
                Request::Sensitivity {
                    file: a.file.clone(),
                    options: crate::batch::sensitivity::SensOptions {
                        method: match a.method {
                            SensMethodArg::Morris => Method::Morris {
                                trajectories: a.trajectories,
                            },
                            SensMethodArg::Sobol => Method::Sobol { samples: a.samples },
                            SensMethodArg::Prim => Method::Prim { samples: a.samples },
                        },
                        runs: a.runs,
                        variant: a.variant.clone(),
                        jobs: jobs(a.jobs)?,
                        seed: a.seed,
                        out: a.out.clone(),
                        progress,
                        seed_factor: a.seed_factor,
                        shard: a.shard,
                    },
                }
            }
            Command::Calibrate(a) => Request::Calibrate {
                file: a.file.clone(),
                options: crate::batch::calibrate::CalibrateOptions {
                    draws: a.draws,
                    runs_per_draw: a.runs_per_draw,
                    accept: a.accept,
                    variant: a.variant.clone(),
                    jobs: jobs(a.jobs)?,
                    seed: a.seed,
                    out: a.out.clone(),
                    write_back: a.write_back.clone(),
                    set_nominal: a.set_nominal,
                    progress,
                },
            },
            Command::Sweep(a) => {
                if a.design == DesignArg::Lhs && a.samples == 0 {
                    return Err(Error::usage("--samples 0", "must be at least 1"));
                }
                Request::Sweep {
                    file: a.file.clone(),
                    options: SweepOptions {
                        params: a
                            .params
                            .iter()
                            .map(|p| parse_param(p))
                            .collect::<Result<_>>()?,
                        design: match a.design {
                            DesignArg::Full => Design::Full,
                            DesignArg::Lhs => Design::Lhs,
                        },
                        samples: a.samples,
                        runs: a.runs,
                        seed: a.seed,
                        jobs: jobs(a.jobs)?,
                        out: a.out.clone(),
                        force: a.force,
                        progress,
                        command: command_line(),
                    },
                }
            }
            Command::Merge(a) => Request::Merge {
                options: MergeOptions {
                    dirs: a.dirs.clone(),
                    out: a.out.clone().unwrap_or_default(),
                    force: a.force,
                    command: command_line(),
                    expect: MergeExpect {
                        seed: a.seed,
                        runs: a.runs,
                        scenario: a.scenario.clone(),
                        variants: a.variants.clone(),
                        all_variants: a.all_variants,
                    },
                },
                report: !a.no_report,
                jobs: jobs(a.jobs)?,
                check: a.check,
            },
            Command::Ledger(a) => {
                if a.runs < 2 {
                    return Err(Error::usage("--runs", "must be at least 2"));
                }
                if a.block < 2 {
                    return Err(Error::usage("--block", "must be at least 2"));
                }
                if !(a.negligible.is_finite() && a.negligible >= 0.0 && a.negligible < 1.0) {
                    return Err(Error::usage("--negligible", "must be in [0, 1)"));
                }
                if !(a.precision.is_finite() && a.precision > 0.0) {
                    return Err(Error::usage("--precision", "must be > 0"));
                }
                if a.shapley > 60 {
                    return Err(Error::usage("--shapley", "at most 60 players"));
                }
                let options = LedgerOptions {
                    seed: a.seed,
                    runs: a.runs,
                    block: a.block,
                    jobs: jobs(a.jobs)?,
                    of: match a.of {
                        LedgerOfArg::Partnerships => LedgerOf::Partnerships,
                        LedgerOfArg::Agencies => LedgerOf::Agencies,
                    },
                    shapley: a.shapley,
                    shapley_runs: a.shapley_runs.max(2),
                    precision: a.precision,
                    shapley_pairs: a.shapley_pairs.max(2),
                    negligible: a.negligible,
                    alpha: 0.05,
                    shard: a.shard,
                    progress,
                };
                Request::Ledger {
                    file: a.file.clone(),
                    batch: BatchOptions {
                        runs: a.runs,
                        seed: a.seed,
                        jobs: options.jobs,
                        variants: Vec::new(),
                        all_variants: false,
                        out: a.out.clone(),
                        shard: a.shard,
                        until_ci: None,
                        mode: if a.force {
                            DirMode::Force
                        } else {
                            DirMode::Fresh
                        },
                        progress,
                        command: command_line(),
                        skip_finished: false,
                        uncertainty: None,
                    },
                    options,
                    report: !a.no_report,
                }
            }
            Command::Report(a) => Request::Report {
                dir: a.dir.clone(),
                session: a.session.clone(),
            },
            Command::Serve(a) => Request::Serve(ServeRequest {
                file: a.file.clone(),
                addr: std::net::SocketAddr::new(a.bind, a.port),
                resume: a.resume.clone(),
                seed: a.seed,
                run_index: a.run_index,
                variant: a.variant.clone(),
                log: a.log.clone(),
                teams: a.teams.clone(),
                team_shares: a.team_shares.clone(),
            }),
            Command::Replay(a) => Request::Replay {
                log: a.log.clone(),
                out: a.out.clone(),
                scenario: a.scenario.clone(),
            },
            Command::ImportMsel(a) => Request::ImportMsel {
                csv: a.csv.clone(),
                into: a.into.clone(),
                out: a.out.clone(),
            },
        };
        Ok((req, verbosity))
    }
}
