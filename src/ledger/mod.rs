//! The partnership ledger: what each partnership (or partner agency) is worth, what it risks
//! and what poor alignment costs, priced on common random numbers against the scenario as
//! written.
//!
//! For every player three paired measures are screened sequentially (knock-out, failure at
//! the main threat's first crossing, alignment); material alignment gaps are decomposed by
//! the study recommendation that closes them; Shapley values share out the network's worth
//! among the top players; betweenness gives the structural baseline. `docs/ledger.md`
//! defines every measure and the screening rule.

pub mod data;
mod graph;
mod paired;
mod players;
mod shapley;

use crate::batch::Shard;
use crate::error::{Error, Result};
use crate::output::{csv_safe, write_atomic};
use crate::scenario::ValidScenario;
use crate::sim::{Model, RunOptions, RunSeed, VIOLATION_KINDS};
use data::{
    BaselineValue, GapPart, Ledger, LedgerManifest, LedgerOf, Measure, PlanItem, Player,
    RiskColumns, Row, Shapley, ShapleyTarget, Target, Verdict,
};
use paired::{Columns, PairedSet};
use players::{Change, Part, PlayerDef};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// Measures in the order rows list them.
const MEASURES: [Measure; 3] = [Measure::Knockout, Measure::Failure, Measure::Aligned];

/// Alignment gaps decomposed by recommendation, at most (the largest first).
const GAPS_DECOMPOSED: usize = 20;

/// Jobs compiled and screened together (bounds the models held at once).
const CHUNK: usize = 16;

/// What `tabletop ledger` does.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerOptions {
    /// Master seed.
    pub seed: u64,
    /// Largest number of paired runs per player and measure (also the baseline's runs).
    pub runs: u64,
    /// Runs per screening block.
    pub block: u64,
    /// Worker threads (None: all cores).
    pub jobs: Option<usize>,
    /// Players priced.
    pub of: LedgerOf,
    /// Shapley values on the top this many players by value (0: none).
    pub shapley: usize,
    /// Runs per Shapley coalition.
    pub shapley_runs: u64,
    /// Standard error the Shapley estimate stops at.
    pub precision: f64,
    /// Antithetic permutation pairs of the Shapley estimate, at most (its run budget).
    pub shapley_pairs: u64,
    /// Half-width of the negligible band on P(met).
    pub negligible: f64,
    /// Error rate of each screening decision.
    pub alpha: f64,
    /// This shard only.
    pub shard: Option<Shard>,
    /// Print progress on stderr.
    pub progress: bool,
}

impl Default for LedgerOptions {
    fn default() -> LedgerOptions {
        LedgerOptions {
            seed: 1,
            runs: 1000,
            block: 100,
            jobs: None,
            of: LedgerOf::Partnerships,
            shapley: 0,
            shapley_runs: 200,
            precision: 0.02,
            shapley_pairs: 12,
            negligible: 0.02,
            alpha: 0.05,
            shard: None,
            progress: false,
        }
    }
}

/// Shared state of one ledger computation.
struct Ctx<'a> {
    scenario: &'a ValidScenario,
    opts: &'a LedgerOptions,
    pool: rayon::ThreadPool,
    threat: usize,
    targets: Vec<Target>,
    objectives: usize,
    duration: f64,
    /// Baseline target values per run.
    base: Vec<Vec<Option<f64>>>,
    /// Runs made so far.
    runs_made: u64,
}

impl Ctx<'_> {
    /// Target values of `runs` of `model`, in run order, in parallel.
    fn values(&self, model: &Model, runs: std::ops::Range<u64>) -> Vec<Vec<Option<f64>>> {
        let cols = Columns::new(&self.targets, model.catalog(), self.duration);
        let seed = self.opts.seed;
        self.pool.install(|| {
            runs.into_par_iter()
                .map(|r| {
                    let o = model.run(
                        RunSeed {
                            master: seed,
                            run_index: r,
                        },
                        RunOptions::default(),
                    );
                    cols.values(&o)
                })
                .collect()
        })
    }

    /// Bonferroni level of one look: `alpha` shared over the most looks a job can take.
    fn look_alpha(&self) -> f64 {
        let looks = self.opts.runs.div_ceil(self.opts.block.max(1)).max(1);
        self.opts.alpha / looks as f64
    }

    fn say(&self, msg: impl FnOnce() -> String) {
        if self.opts.progress {
            eprintln!("ledger: {}", msg());
        }
    }
}

/// One scenario to compare with the baseline, run in blocks until decided.
struct Job {
    /// The changed scenario's model while it is screened (dropped after).
    model: Option<Model>,
    /// The change changes something (else the difference is zero by construction).
    changed: bool,
    /// Runs made.
    runs: u64,
    acc: PairedSet,
    /// Runs at most.
    max: u64,
    /// Stop early once every objective is decided.
    screen: bool,
    done: bool,
}

/// Run `jobs` against the baseline: each in blocks of `opts.block` runs (in parallel across
/// the jobs of a chunk and their runs) until every objective's verdict is reached or its
/// run budget is spent.
fn screen(ctx: &mut Ctx, jobs: &mut [Job]) {
    let block = ctx.opts.block.max(2);
    let alpha = ctx.look_alpha();
    let band = ctx.opts.negligible;
    let nobj = ctx.objectives;

    loop {
        let tasks: Vec<(usize, u64)> = jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| !j.done && j.model.is_some())
            .filter(|(_, j)| j.runs < j.max)
            .flat_map(|(i, j)| (j.runs..(j.runs + block).min(j.max)).map(move |r| (i, r)))
            .collect();
        if tasks.is_empty() {
            break;
        }
        let seed = ctx.opts.seed;
        let cols: Vec<Option<Columns>> = jobs
            .iter()
            .map(|j| {
                j.model
                    .as_ref()
                    .map(|m| Columns::new(&ctx.targets, m.catalog(), ctx.duration))
            })
            .collect();
        let vals: Vec<Vec<Option<f64>>> = ctx.pool.install(|| {
            tasks
                .par_iter()
                .map(|&(i, r)| {
                    let (Some(m), Some(c)) = (&jobs[i].model, &cols[i]) else {
                        return Vec::new();
                    };
                    c.values(&m.run(
                        RunSeed {
                            master: seed,
                            run_index: r,
                        },
                        RunOptions::default(),
                    ))
                })
                .collect()
        });
        ctx.runs_made += tasks.len() as u64;
        for (&(i, r), v) in tasks.iter().zip(&vals) {
            jobs[i].acc.push(&ctx.base[r as usize], v, nobj);
            jobs[i].runs += 1;
        }
        // A job is decided on its value, the mean difference over the objectives: the
        // quantity the ranking uses. Each objective's own row reports what the runs show.
        for j in jobs.iter_mut().filter(|j| !j.done) {
            let decided = j.screen
                && (j.acc.objectives_mean.n == 0 && j.runs >= block
                    || j.acc.objectives_mean.verdict(alpha, band, true) != Verdict::Undecided);
            if decided || j.runs >= j.max || j.model.is_none() {
                j.done = true;
            }
        }
    }
}

/// The rows of one (player, measure) job.
fn rows_of(ctx: &Ctx, player: &str, measure: Measure, job: &Job) -> Vec<Row> {
    let alpha = ctx.look_alpha();
    ctx.targets
        .iter()
        .enumerate()
        .map(|(t, target)| {
            let binary = t < ctx.objectives;
            let p = &job.acc.targets[t];
            if !job.changed {
                // Nothing to change (an aligned partnership): the difference is zero.
                return Row {
                    player: player.to_string(),
                    measure,
                    target: target.id.clone(),
                    diff: Some(0.0),
                    ci_low: Some(0.0),
                    ci_high: Some(0.0),
                    n: 0,
                    verdict: Verdict::Negligible,
                    recommendation: String::new(),
                };
            }
            let (lo, hi) = p.ci95(binary);
            let verdict = if binary {
                p.verdict(alpha, ctx.opts.negligible, true)
            } else {
                match (lo, hi) {
                    (Some(l), Some(h)) if l > 0.0 || h < 0.0 => Verdict::Material,
                    (Some(_), Some(_)) if job.runs < job.max => Verdict::Negligible,
                    _ => Verdict::Undecided,
                }
            };
            Row {
                player: player.to_string(),
                measure,
                target: target.id.clone(),
                diff: p.mean(),
                ci_low: lo,
                ci_high: hi,
                n: p.n,
                verdict,
                recommendation: String::new(),
            }
        })
        .collect()
}

/// Risk columns accumulated over the baseline runs.
#[derive(Debug, Clone, Default)]
struct RiskAcc {
    exposure: f64,
    origin_exposure: f64,
    violations: [f64; 5],
    legal: f64,
    equity_sum: f64,
    equity_n: u64,
    withdrawn_runs: u64,
    lost_hours: f64,
}

/// For each catalog link, the players it belongs to; for each player, the metric columns of
/// its dependants' lost hours.
fn risk_maps(ctx: &Ctx, model: &Model, defs: &[PlayerDef]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let cat = model.catalog();
    let spec = ctx.scenario.spec();
    let link_players = cat
        .links
        .iter()
        .map(|l| {
            defs.iter()
                .enumerate()
                .filter(|(_, d)| match d.agency {
                    None => d.id == l.partnership,
                    Some(_) => d.id == l.from || d.id == l.to,
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let depends = |x: &str, on: &str| {
        spec.agencies
            .iter()
            .any(|a| a.id == x && a.depends_on.iter().any(|d| d.partner == on))
    };
    // A dependant's exposure to the loss: hours lost × degree where the scenario has
    // degrees or shared-service outages (`service_exposure`), else hours lost.
    let col = |x: &str| {
        let find = |id: String| cat.metrics.iter().position(|m| m.id == id);
        find(format!("service_exposure.{x}")).or_else(|| find(format!("function_lost_hours.{x}")))
    };
    let lost = defs
        .iter()
        .map(|d| {
            let dependants: Vec<&str> = match d.agency {
                None => [(&d.from, &d.to), (&d.to, &d.from)]
                    .into_iter()
                    .filter(|(x, on)| depends(x, on))
                    .map(|(x, _)| x.as_str())
                    .collect(),
                Some(_) => spec
                    .agencies
                    .iter()
                    .filter(|a| depends(&a.id, &d.id))
                    .map(|a| a.id.as_str())
                    .collect(),
            };
            dependants.into_iter().filter_map(col).collect()
        })
        .collect();
    (link_players, lost)
}

/// Run the baseline: its per-run target values (kept for pairing) and the players' risk.
fn baseline(ctx: &mut Ctx, model: &Model, defs: &[PlayerDef]) -> Vec<RiskAcc> {
    let (link_players, lost_cols) = risk_maps(ctx, model, defs);
    let cols = Columns::new(&ctx.targets, model.catalog(), ctx.duration);
    let mut risk = vec![RiskAcc::default(); defs.len()];
    let n = ctx.opts.runs;
    let seed = ctx.opts.seed;
    let slice = 256u64;
    let mut base = Vec::with_capacity(n as usize);
    let mut start = 0;
    while start < n {
        let end = (start + slice).min(n);
        let per_run: Vec<(Vec<Option<f64>>, Vec<RiskAcc>)> = ctx.pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|r| {
                    let o = model.run(
                        RunSeed {
                            master: seed,
                            run_index: r,
                        },
                        RunOptions::default(),
                    );
                    let mut rk = vec![RiskAcc::default(); defs.len()];
                    let mut withdrawn = vec![false; defs.len()];
                    let mut worst = vec![f64::INFINITY; defs.len()];
                    for (l, lr) in o.links.iter().enumerate() {
                        for &p in &link_players[l] {
                            let a = &mut rk[p];
                            a.exposure += lr.exposure;
                            a.origin_exposure += lr.origin_exposure;
                            for k in 0..5 {
                                a.violations[k] += f64::from(lr.violations[k]);
                            }
                            a.legal += f64::from(lr.legal_findings);
                            withdrawn[p] |= lr.trust_withdrawn;
                            if lr.equity_log_ratio.is_finite() {
                                worst[p] = worst[p].min(lr.equity_log_ratio);
                            }
                        }
                    }
                    for (p, a) in rk.iter_mut().enumerate() {
                        a.withdrawn_runs = u64::from(withdrawn[p]);
                        if worst[p].is_finite() {
                            a.equity_sum = worst[p];
                            a.equity_n = 1;
                        }
                        a.lost_hours = lost_cols[p]
                            .iter()
                            .filter_map(|&c| o.metrics.get(c).copied().flatten())
                            .sum();
                    }
                    (cols.values(&o), rk)
                })
                .collect()
        });
        for (v, rk) in per_run {
            base.push(v);
            for (acc, x) in risk.iter_mut().zip(rk) {
                acc.exposure += x.exposure;
                acc.origin_exposure += x.origin_exposure;
                for k in 0..5 {
                    acc.violations[k] += x.violations[k];
                }
                acc.legal += x.legal;
                acc.equity_sum += x.equity_sum;
                acc.equity_n += x.equity_n;
                acc.withdrawn_runs += x.withdrawn_runs;
                acc.lost_hours += x.lost_hours;
            }
        }
        start = end;
    }
    ctx.base = base;
    risk
}

fn risk_columns(acc: &RiskAcc, runs: u64) -> RiskColumns {
    let n = runs.max(1) as f64;
    RiskColumns {
        exposure: acc.exposure / n,
        origin_exposure: acc.origin_exposure / n,
        violations: VIOLATION_KINDS
            .iter()
            .zip(acc.violations)
            .map(|(k, v)| (k.to_string(), v / n))
            .collect(),
        legal_findings: acc.legal / n,
        equity_ratio: (acc.equity_n > 0).then(|| (acc.equity_sum / acc.equity_n as f64).exp()),
        p_withdrawal: acc.withdrawn_runs as f64 / n,
        dependants_lost_hours: acc.lost_hours / n,
    }
}

/// Compile the scenario each (player, change) makes, in parallel; None where nothing
/// changes.
fn models(ctx: &Ctx, work: &[(usize, Change)], defs: &[PlayerDef]) -> Result<Vec<Option<Model>>> {
    ctx.pool.install(|| {
        work.par_iter()
            .map(|&(p, c)| {
                Ok(
                    players::changed(ctx.scenario, &defs[p], c, ctx.threat)?
                        .map(|s| Model::new(&s)),
                )
            })
            .collect()
    })
}

/// Screen every (player, change) of `work` in chunks; one paired set per entry.
fn screen_all(
    ctx: &mut Ctx,
    work: &[(usize, Change)],
    defs: &[PlayerDef],
    max: impl Fn(usize) -> u64,
    early_stop: bool,
) -> Result<Vec<Job>> {
    let mut out = Vec::with_capacity(work.len());
    for (c, chunk) in work.chunks(CHUNK).enumerate() {
        let ms = models(ctx, chunk, defs)?;
        let mut jobs: Vec<Job> = ms
            .into_iter()
            .enumerate()
            .map(|(i, model)| Job {
                changed: model.is_some(),
                model,
                acc: PairedSet::new(ctx.targets.len()),
                max: max(c * CHUNK + i),
                screen: early_stop,
                done: false,
                runs: 0,
            })
            .collect();
        screen(ctx, &mut jobs);
        ctx.say(|| {
            format!(
                "{} of {} screened ({} runs so far)",
                (c * CHUNK + chunk.len()).min(work.len()),
                work.len(),
                ctx.runs_made
            )
        });
        // Keep the accumulators, drop the compiled models.
        out.extend(jobs.into_iter().map(|j| Job { model: None, ..j }));
    }
    Ok(out)
}

/// The Shapley game: a coalition of players present (the others among them knocked out,
/// every other partnership as written), worth P(met) of each objective over the same runs.
struct Coalitions<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    defs: Vec<PlayerDef>,
}

impl shapley::Game for Coalitions<'_, '_> {
    fn worth(&mut self, masks: &[u64]) -> Result<Vec<Vec<f64>>> {
        let ctx = &*self.ctx;
        let n = self.defs.len();
        let models: Vec<Model> = ctx.pool.install(|| {
            masks
                .par_iter()
                .map(|&m| {
                    let present: Vec<bool> = (0..n).map(|i| m & (1 << i) != 0).collect();
                    players::coalition(ctx.scenario, &self.defs, &present).map(|s| Model::new(&s))
                })
                .collect::<Result<Vec<Model>>>()
        })?;
        let runs = ctx.opts.shapley_runs.max(2);
        let nobj = ctx.objectives;
        let mut out = Vec::with_capacity(masks.len());
        for m in &models {
            let vals = ctx.values(m, 0..runs);
            out.push(
                (0..nobj)
                    .map(|t| {
                        let xs: Vec<f64> = vals.iter().filter_map(|v| v[t]).collect();
                        if xs.is_empty() {
                            0.0
                        } else {
                            xs.iter().sum::<f64>() / xs.len() as f64
                        }
                    })
                    .collect(),
            );
        }
        self.ctx.runs_made += runs * masks.len() as u64;
        Ok(out)
    }
}

/// Shapley values on the top `opts.shapley` players by value (all when there are no more).
fn shapley_values(ctx: &mut Ctx, defs: &[PlayerDef], values: &[f64]) -> Result<Option<Shapley>> {
    let k = ctx.opts.shapley.min(defs.len()).min(60);
    if k == 0 {
        return Ok(None);
    }
    let mut order: Vec<usize> = (0..defs.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = order[..k].to_vec();
    chosen.sort_unstable();
    let nobj = ctx.objectives;
    let (seed, precision) = (ctx.opts.seed, ctx.opts.precision);
    let max_pairs = ctx.opts.shapley_pairs.max(2);
    ctx.say(|| format!("Shapley values of {k} players"));
    let mut game = Coalitions {
        ctx,
        defs: chosen.iter().map(|&i| defs[i].clone()).collect(),
    };
    let v = if k <= shapley::EXACT_MAX {
        shapley::exact(&mut game, k, nobj)?
    } else {
        shapley::sampled(
            &mut game,
            k,
            nobj,
            shapley::Sampling {
                seed,
                precision,
                min_pairs: 4.min(max_pairs),
                max_pairs,
                batch: 2,
            },
        )?
    };
    let ctx = &*game.ctx;
    Ok(Some(Shapley {
        players: chosen.iter().map(|&i| defs[i].id.clone()).collect(),
        exact: v.exact,
        permutations: v.pairs,
        runs_per_coalition: ctx.opts.shapley_runs.max(2),
        precision_target: ctx.opts.precision,
        precision_reached: v.precision,
        targets: (0..nobj)
            .map(|t| ShapleyTarget {
                target: ctx.targets[t].id.clone(),
                total: v.total[t],
                values: v.phi[t].clone(),
                se: v.se[t].clone(),
            })
            .collect(),
    }))
}

/// Betweenness of each player: its partnership's edge (the sum over its partnerships for
/// several), or its agency's node, in the graph of enabled partnerships.
fn betweenness(scenario: &ValidScenario, defs: &[PlayerDef]) -> Vec<f64> {
    let spec = scenario.spec();
    let ix = |id: &str| spec.agencies.iter().position(|a| a.id == id);
    let enabled: Vec<usize> = (0..spec.partnerships.len())
        .filter(|&i| spec.partnerships[i].enabled)
        .collect();
    let edges: Vec<(usize, usize)> = enabled
        .iter()
        .map(|&i| {
            let p = &spec.partnerships[i];
            (
                ix(&p.from).unwrap_or(usize::MAX),
                ix(&p.to).unwrap_or(usize::MAX),
            )
        })
        .collect();
    let (eb, nb) = graph::betweenness(spec.agencies.len(), &edges);
    defs.iter()
        .map(|d| match d.agency {
            Some(a) => nb[a],
            None => d
                .partnerships
                .iter()
                .filter_map(|pi| enabled.iter().position(|e| e == pi))
                .map(|e| eb[e])
                .sum(),
        })
        .collect()
}

/// Ranks (1 = largest) of `xs`, ties by position.
fn ranks(xs: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[b].total_cmp(&xs[a]).then(a.cmp(&b)));
    let mut r = vec![0; xs.len()];
    for (k, &i) in order.iter().enumerate() {
        r[i] = k + 1;
    }
    r
}

/// The settings a ledger was made with, back from its manifest (merging shards).
fn options_of(m: &LedgerManifest, jobs: Option<usize>, progress: bool) -> LedgerOptions {
    LedgerOptions {
        seed: m.seed,
        runs: m.max_runs,
        block: m.block,
        jobs,
        of: m.of,
        shapley: m.shapley_k,
        shapley_runs: m.shapley_runs,
        precision: m.shapley_precision,
        shapley_pairs: m.shapley_max_pairs,
        negligible: m.negligible,
        alpha: m.alpha,
        shard: None,
        progress,
    }
}

/// A context for `scenario` under `opts`: thread pool, main threat and targets.
fn context<'a>(scenario: &'a ValidScenario, opts: &'a LedgerOptions) -> Result<(Ctx<'a>, Model)> {
    let spec = scenario.spec();
    let threat = players::main_threat(spec)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Runtime(format!("thread pool: {e}")))?;
    let base_model = Model::new(scenario);
    let targets = paired::targets(base_model.catalog(), &spec.threats[threat].id);
    let objectives = targets.iter().filter(|t| t.kind == "objective").count();
    Ok((
        Ctx {
            scenario,
            opts,
            pool,
            threat,
            targets,
            objectives,
            duration: spec.exercise.duration.hours(),
            base: Vec::new(),
            runs_made: 0,
        },
        base_model,
    ))
}

/// Compute the ledger of `scenario`. With `opts.shard`, only the players of that shard are
/// priced and the result is a part for [`merge`] (no ranks, disagreements, plan or Shapley
/// values: those need every player).
pub fn compute(scenario: &ValidScenario, opts: &LedgerOptions) -> Result<Ledger> {
    let spec = scenario.spec();
    let all_defs = players::players(spec, opts.of);
    if all_defs.is_empty() {
        return Err(Error::usage(
            "ledger",
            "the scenario has no enabled partnership to price",
        ));
    }
    let mine: Vec<usize> = (0..all_defs.len())
        .filter(|&i| opts.shard.is_none_or(|s| i as u64 % s.n == s.k - 1))
        .collect();
    let defs: Vec<PlayerDef> = mine.iter().map(|&i| all_defs[i].clone()).collect();
    let (mut ctx, base_model) = context(scenario, opts)?;
    let threat_id = spec.threats[ctx.threat].id.clone();
    ctx.say(|| format!("{} players, main threat {threat_id}", defs.len()));
    let risk = baseline(&mut ctx, &base_model, &defs);
    let baseline_values: Vec<BaselineValue> = (0..ctx.targets.len())
        .map(|t| {
            let xs: Vec<f64> = ctx.base.iter().filter_map(|v| v[t]).collect();
            let ci = crate::batch::stats::mean_ci(&xs);
            BaselineValue {
                target: ctx.targets[t].id.clone(),
                mean: ci.mean,
                ci_low: ci.low(),
                ci_high: ci.high(),
                n: ci.n,
            }
        })
        .collect();

    // The three measures of every player.
    let work: Vec<(usize, Change)> = (0..defs.len())
        .flat_map(|p| MEASURES.map(|m| (p, Change::Measure(m))))
        .collect();
    let runs = opts.runs;
    let jobs = screen_all(&mut ctx, &work, &defs, |_| runs, true)?;
    let job = |p: usize, m: Measure| {
        let k = MEASURES.iter().position(|&x| x == m).unwrap_or(0);
        &jobs[p * MEASURES.len() + k]
    };
    let mut rows: Vec<Row> = Vec::new();
    for (p, d) in defs.iter().enumerate() {
        for m in MEASURES {
            rows.extend(rows_of(&ctx, &d.id, m, job(p, m)));
        }
    }

    let between = betweenness(scenario, &all_defs);
    let players: Vec<Player> = defs
        .iter()
        .enumerate()
        .map(|(p, d)| {
            let acc = &job(p, Measure::Knockout).acc.objectives_mean;
            let (lo, hi) = acc.ci95(true);
            Player {
                id: d.id.clone(),
                name: d.name.clone(),
                from: d.from.clone(),
                to: d.to.clone(),
                betweenness: between[mine[p]],
                betweenness_rank: 0,
                value: -acc.mean().unwrap_or(0.0),
                value_low: -hi.unwrap_or(0.0),
                value_high: -lo.unwrap_or(0.0),
                value_rank: 0,
                risk: risk_columns(&risk[p], opts.runs),
                runs: MEASURES.iter().map(|&m| (m, job(p, m).runs)).collect(),
                disagreement: String::new(),
            }
        })
        .collect();
    let part = Ledger {
        manifest: LedgerManifest {
            tabletop_version: env!("CARGO_PKG_VERSION").into(),
            scenario: spec.exercise.name.clone(),
            scenario_hash: scenario.hash().to_string(),
            seed: opts.seed,
            of: opts.of,
            main_threat: threat_id,
            max_runs: opts.runs,
            block: opts.block,
            negligible: opts.negligible,
            alpha: opts.alpha,
            shard: opts
                .shard
                .map(|s| format!("{}/{}", s.k, s.n))
                .unwrap_or_default(),
            // The baseline once, plus every paired run.
            total_runs: opts.runs + ctx.runs_made,
            shapley_k: opts.shapley,
            shapley_runs: opts.shapley_runs,
            shapley_precision: opts.precision,
            shapley_max_pairs: opts.shapley_pairs,
        },
        targets: ctx.targets.clone(),
        baseline: baseline_values,
        players,
        rows,
        gap_parts: Vec::new(),
        shapley: None,
        plan: Vec::new(),
    };
    if opts.shard.is_some() {
        return Ok(part);
    }
    finish(&mut ctx, part)
}

/// Decompose the largest material alignment gains (at most [`GAPS_DECOMPOSED`] players,
/// by their largest gain on an objective) by recommendation: each part alone, screened like
/// the measures, with at most the runs the whole alignment took. Names on each material
/// aligned objective row the part that gains most on it.
fn decompose(ctx: &mut Ctx, l: &mut Ledger, defs: &[PlayerDef]) -> Result<()> {
    let nobj = ctx.objectives;
    let gain = |id: &str| -> f64 {
        l.rows
            .iter()
            .filter(|r| r.player == id && r.measure == Measure::Aligned)
            .take(nobj)
            .filter(|r| r.verdict == Verdict::Material)
            .filter_map(|r| r.diff)
            .fold(0.0, f64::max)
    };
    let mut gapped: Vec<usize> = (0..defs.len())
        .filter(|&p| gain(&defs[p].id) > 0.0)
        .collect();
    gapped.sort_by(|&a, &b| {
        gain(&defs[b].id)
            .total_cmp(&gain(&defs[a].id))
            .then(a.cmp(&b))
    });
    gapped.truncate(GAPS_DECOMPOSED);
    gapped.sort_unstable();
    let aligned_runs = |id: &str| {
        l.players
            .iter()
            .find(|p| p.id == id)
            .and_then(|p| p.runs.iter().find(|r| r.0 == Measure::Aligned))
            .map_or(ctx.opts.runs, |r| r.1)
    };
    let work: Vec<(usize, Change)> = gapped
        .iter()
        .flat_map(|&p| Part::ALL.map(|part| (p, Change::Part(part))))
        .collect();
    let runs: Vec<u64> = work
        .iter()
        .map(|&(p, _)| aligned_runs(&defs[p].id))
        .collect();
    let jobs = screen_all(ctx, &work, defs, |i| runs[i], true)?;
    let aligned = ctx.scenario.spec().ledger.aligned.clone();
    for (&(p, c), j) in work.iter().zip(&jobs) {
        let Change::Part(part) = c else { continue };
        if !j.changed {
            continue;
        }
        for t in 0..nobj {
            let acc = &j.acc.targets[t];
            let (Some(diff), (Some(lo), Some(hi))) = (acc.mean(), acc.ci95(true)) else {
                continue;
            };
            l.gap_parts.push(GapPart {
                player: defs[p].id.clone(),
                recommendation: part.id().into(),
                change: players::part_description(part, &aligned),
                target: ctx.targets[t].id.clone(),
                diff,
                ci_low: lo,
                ci_high: hi,
            });
        }
    }
    let parts = &l.gap_parts;
    for r in l
        .rows
        .iter_mut()
        .filter(|r| r.measure == Measure::Aligned && r.verdict == Verdict::Material)
    {
        if let Some(best) = parts
            .iter()
            .filter(|g| g.player == r.player && g.target == r.target && g.diff > 0.0)
            .max_by(|a, b| a.diff.total_cmp(&b.diff))
        {
            r.recommendation = best.recommendation.clone();
        }
    }
    Ok(())
}

/// Complete a ledger holding every player: the alignment gaps decomposed, ranks,
/// disagreements between structure and behaviour, the improvement plan and (when asked
/// for) Shapley values.
fn finish(ctx: &mut Ctx, mut l: Ledger) -> Result<Ledger> {
    let nobj = ctx.objectives;
    let all_defs = players::players(ctx.scenario.spec(), ctx.opts.of);
    let defs: Vec<PlayerDef> = l
        .players
        .iter()
        .filter_map(|p| all_defs.iter().find(|d| d.id == p.id).cloned())
        .collect();
    let before = ctx.runs_made;
    decompose(ctx, &mut l, &defs)?;
    let values: Vec<f64> = l.players.iter().map(|p| p.value).collect();
    let between: Vec<f64> = l.players.iter().map(|p| p.betweenness).collect();
    let (value_rank, between_rank) = (ranks(&values), ranks(&between));
    let quarter = l.players.len().div_ceil(4);
    let half = l.players.len().div_ceil(2);
    for (p, pl) in l.players.iter_mut().enumerate() {
        let ko: Vec<&Row> = l
            .rows
            .iter()
            .filter(|r| r.player == pl.id && r.measure == Measure::Knockout)
            .take(nobj)
            .collect();
        let carries = ko
            .iter()
            .any(|r| r.verdict == Verdict::Material && r.diff.is_some_and(|x| x < 0.0));
        let idle = ko.iter().all(|r| r.verdict == Verdict::Negligible);
        pl.value_rank = value_rank[p];
        pl.betweenness_rank = between_rank[p];
        pl.disagreement = if between_rank[p] <= quarter && pl.betweenness > 0.0 && idle {
            "central_but_little".into()
        } else if between_rank[p] > half && carries {
            "quiet_carrier".into()
        } else {
            String::new()
        };
    }
    l.plan = plan(&l.rows, &l.targets[..nobj]);
    l.manifest.shard = String::new();
    l.shapley = shapley_values(ctx, &defs, &values)?;
    l.manifest.total_runs += ctx.runs_made - before;
    Ok(l)
}

/// Whether `dir` holds a ledger (part).
pub(crate) fn is_ledger_dir(dir: &Path) -> bool {
    dir.join("ledger.json").is_file()
}

/// Merge the ledger parts in `dirs` (written by `tabletop ledger --shard K/N`, every shard
/// once) into one ledger for `scenario`, computing what needs every player (Shapley values
/// among them) on `jobs` threads; the same ledger one machine would have written.
pub fn merge(
    scenario: &ValidScenario,
    dirs: &[std::path::PathBuf],
    jobs: Option<usize>,
    progress: bool,
) -> Result<Ledger> {
    let mut parts: Vec<Ledger> = Vec::new();
    for d in dirs {
        parts.push(crate::output::read_json(&d.join("ledger.json"))?);
    }
    let first = parts
        .first()
        .ok_or_else(|| Error::usage("merge", "no ledger parts"))?
        .clone();
    let mut shards: Vec<String> = parts.iter().map(|p| p.manifest.shard.clone()).collect();
    shards.sort();
    let n = parts.len();
    let mut expected: Vec<String> = (1..=n).map(|k| format!("{k}/{n}")).collect();
    expected.sort();
    if shards != expected {
        return Err(Error::usage(
            "merge",
            format!(
                "ledger parts must be shards 1/{n} to {n}/{n}, each once; found {}",
                shards.join(", ")
            ),
        ));
    }
    let same = |m: &LedgerManifest| {
        let mut a = m.clone();
        let mut b = first.manifest.clone();
        a.shard.clear();
        b.shard.clear();
        a.total_runs = 0;
        b.total_runs = 0;
        a == b
    };
    if let Some(p) = parts.iter().find(|p| !same(&p.manifest)) {
        return Err(Error::usage(
            "merge",
            format!(
                "ledger part {} was made with other settings or another scenario",
                p.manifest.shard
            ),
        ));
    }
    if first.manifest.scenario_hash != scenario.hash() {
        return Err(Error::usage(
            "merge",
            "the ledger parts were made from another scenario version",
        ));
    }
    let opts = options_of(&first.manifest, jobs, progress);
    let order = players::players(scenario.spec(), opts.of);
    let pos = |id: &str| order.iter().position(|d| d.id == id).unwrap_or(usize::MAX);
    let mut players: Vec<Player> = parts.iter().flat_map(|p| p.players.clone()).collect();
    players.sort_by_key(|p| pos(&p.id));
    let measure_ix = |m: Measure| MEASURES.iter().position(|&x| x == m).unwrap_or(0);
    let mut rows: Vec<(usize, usize, usize, Row)> = Vec::new();
    for part in &parts {
        for (k, r) in part.rows.iter().enumerate() {
            rows.push((pos(&r.player), measure_ix(r.measure), k, r.clone()));
        }
    }
    rows.sort_by_key(|x| (x.0, x.1, x.2));
    let mut gap_parts: Vec<(usize, usize, GapPart)> = Vec::new();
    for part in &parts {
        for (k, g) in part.gap_parts.iter().enumerate() {
            gap_parts.push((pos(&g.player), k, g.clone()));
        }
    }
    gap_parts.sort_by_key(|x| (x.0, x.1));
    // Paired runs: every part's, the baseline once.
    let paired: u64 = parts
        .iter()
        .map(|p| p.manifest.total_runs - p.manifest.max_runs)
        .sum();
    let merged = Ledger {
        manifest: LedgerManifest {
            total_runs: first.manifest.max_runs + paired,
            ..first.manifest.clone()
        },
        targets: first.targets.clone(),
        baseline: first.baseline.clone(),
        players,
        rows: rows.into_iter().map(|x| x.3).collect(),
        gap_parts: gap_parts.into_iter().map(|x| x.2).collect(),
        shapley: None,
        plan: Vec::new(),
    };
    let (mut ctx, model) = context(scenario, &opts)?;
    // The baseline again, to pair the decomposition's runs with.
    baseline(&mut ctx, &model, &[]);
    finish(&mut ctx, merged)
}

/// Improvement-plan items: every material alignment gain on an objective that a
/// recommendation closes, largest first.
fn plan(rows: &[Row], objectives: &[Target]) -> Vec<PlanItem> {
    let mut items: Vec<PlanItem> = rows
        .iter()
        .filter(|r| {
            r.measure == Measure::Aligned
                && r.verdict == Verdict::Material
                && !r.recommendation.is_empty()
                && objectives.iter().any(|t| t.id == r.target)
        })
        .filter_map(|r| {
            Some(PlanItem {
                recommendation: r.recommendation.clone(),
                player: r.player.clone(),
                target: r.target.clone(),
                diff: r.diff.filter(|d| *d > 0.0)?,
                ci_low: r.ci_low?,
                ci_high: r.ci_high?,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        b.diff
            .total_cmp(&a.diff)
            .then_with(|| a.player.cmp(&b.player))
            .then_with(|| a.target.cmp(&b.target))
    });
    items
}

/// A number for the CSV: shortest round-trip form, empty when absent.
fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

/// One CSV field: spreadsheet-safe, quoted when needed.
fn field(s: &str) -> String {
    let s = csv_safe(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// `ledger.csv`: UTF-8 with BOM, one row per player, measure and target; Shapley values on
/// the knock-out rows of objectives.
pub fn ledger_csv(l: &Ledger) -> String {
    let mut out = String::from(
        "\u{feff}partnership,from,to,measure,target,diff,ci_low,ci_high,n,verdict,shapley,shapley_se,betweenness,recommendation\n",
    );
    for r in &l.rows {
        let Some(p) = l.players.iter().find(|p| p.id == r.player) else {
            continue;
        };
        let (sh, se) = l
            .shapley
            .as_ref()
            .filter(|_| r.measure == Measure::Knockout)
            .and_then(|s| {
                let i = s.players.iter().position(|x| x == &r.player)?;
                let t = s.targets.iter().find(|t| t.target == r.target)?;
                Some((t.values[i], t.se[i]))
            })
            .unzip();
        let verdict = match r.verdict {
            Verdict::Negligible => "negligible",
            Verdict::Material => "material",
            Verdict::Undecided => "undecided",
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            field(&p.id),
            field(&p.from),
            field(&p.to),
            r.measure.id(),
            field(&r.target),
            num(r.diff),
            num(r.ci_low),
            num(r.ci_high),
            r.n,
            verdict,
            num(sh),
            num(se),
            p.betweenness,
            field(&r.recommendation),
        );
    }
    out
}

/// Write `ledger.json` and `ledger.csv` into `dir` (atomically).
pub fn write(l: &Ledger, dir: &Path) -> Result<()> {
    let json =
        serde_json::to_string_pretty(l).map_err(|e| Error::Runtime(format!("ledger.json: {e}")))?;
    write_atomic(&dir.join("ledger.json"), json.as_bytes())?;
    write_atomic(&dir.join("ledger.csv"), ledger_csv(l).as_bytes())?;
    Ok(())
}

/// A P(met) difference as percentage points with its interval: `−12.0 pp [−15.1, −8.9]`.
fn pp(d: f64, lo: f64, hi: f64) -> String {
    format!(
        "{:+.1} pp [{:+.1}, {:+.1}]",
        100.0 * d,
        100.0 * lo,
        100.0 * hi
    )
}

/// The ledger in a few lines for the terminal: the most valuable partnerships, the
/// costliest misalignments, the improvement plan's first items.
pub(crate) fn table(l: &Ledger) -> String {
    let mut out = String::new();
    let mut by_value: Vec<&Player> = l.players.iter().collect();
    by_value.sort_by_key(|p| p.value_rank);
    let _ = writeln!(
        out,
        "Partnership ledger of {} ({} players, {} runs, main threat {})",
        l.manifest.scenario,
        l.players.len(),
        l.manifest.total_runs,
        l.manifest.main_threat
    );
    let _ = writeln!(
        out,
        "Most valuable (P(met) lost when knocked out, mean over objectives):"
    );
    for p in by_value.iter().take(5) {
        let _ = writeln!(
            out,
            "  {:<28} {}  betweenness rank {}",
            p.id,
            pp(p.value, p.value_low, p.value_high),
            p.betweenness_rank
        );
    }
    // The plan is sorted by gain: each player's first item is its largest.
    let mut seen: Vec<&str> = Vec::new();
    let gaps: Vec<&PlanItem> = l
        .plan
        .iter()
        .filter(|g| {
            let first = !seen.contains(&g.player.as_str());
            seen.push(&g.player);
            first
        })
        .collect();
    if !gaps.is_empty() {
        let _ = writeln!(out, "Costliest misalignments (gain when aligned):");
        for g in gaps.iter().take(5) {
            let _ = writeln!(
                out,
                "  {:<28} {} on {} — {}",
                g.player,
                pp(g.diff, g.ci_low, g.ci_high),
                g.target,
                g.recommendation.replace('_', " ")
            );
        }
    }
    if let Some(s) = &l.shapley {
        let _ = writeln!(
            out,
            "Shapley values of {} players ({}; largest standard error {:.3})",
            s.players.len(),
            if s.exact {
                "exact".to_string()
            } else {
                format!("{} antithetic permutations", s.permutations)
            },
            s.precision_reached
        );
    }
    out
}
