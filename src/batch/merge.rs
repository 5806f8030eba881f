//! Merge shard directories (`tabletop batch --shard K/N`) into the directory one machine
//! would have written: same runs.csv bytes, summary, accumulators and exemplars.

use super::accum::Accumulators;
use super::rows::{Layout, field, header, scan};
use super::runner::{finish, json, prepare_dir, rfc3339_now};
use super::simulator::{ColumnMap, Simulator};
use super::summarize::VariantInfo;
use super::summary::{Manifest, Summary};
use crate::error::{Error, Result};
use crate::output::read_json;
use crate::output::{csv_safe, tmp_path, write_atomic};
use crate::sim::Catalog;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Shards checked and ready to merge.
#[derive(Debug, Clone)]
pub struct MergePlan {
    /// Shard directories ordered by shard number.
    pub(crate) dirs: Vec<PathBuf>,
    /// Shard count N.
    pub(crate) n: u64,
    /// The shared manifest (of shard 1).
    pub(crate) manifest: Manifest,
    /// The baseline catalog.
    pub(crate) catalog: Catalog,
    /// Variants, baseline first.
    pub(crate) variants: Vec<VariantInfo>,
    /// The scenario file's text.
    pub(crate) scenario_source: String,
    /// Accumulators of all shards combined.
    pub(crate) acc: Accumulators,
}

fn bad(problems: Vec<String>) -> Error {
    Error::usage(
        "DIRS",
        format!(
            "cannot merge these shards:\n  - {}",
            problems.join("\n  - ")
        ),
    )
}

/// Check every shard's manifest against what the caller says the batch is (seed, runs,
/// scenario hash, variants, shard count), so that shards left by an earlier batch in the
/// same directories are never merged; every mismatch is named.
pub(crate) fn check_expected(
    plan: &MergePlan,
    expect: &super::MergeExpect,
    scenario_hash: Option<&str>,
    variants: Option<&[String]>,
) -> Result<()> {
    let mut problems = Vec::new();
    for d in &plan.dirs {
        let m: Manifest = read_json(&d.join("manifest.json"))?;
        let mut differ = |what: &str, want: String, got: String| {
            if want != got {
                problems.push(format!(
                    "{} has {what} {got}, not {want}: it is a shard of another batch; \
                     run this shard again",
                    d.display()
                ));
            }
        };
        if let Some(seed) = expect.seed {
            differ("seed", seed.to_string(), m.master_seed.to_string());
        }
        if let Some(runs) = expect.runs {
            differ("runs", runs.to_string(), m.runs.to_string());
        }
        if let (Some(file), Some(hash)) = (&expect.scenario, scenario_hash) {
            differ(
                &format!("scenario hash (of {})", file.display()),
                hash.to_string(),
                m.scenario_hash.clone(),
            );
        }
        if let Some(v) = variants {
            let mut want = vec!["baseline".to_string()];
            want.extend(v.iter().cloned());
            differ("variants", want.join(","), m.variants.join(","));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(bad(problems))
    }
}

/// Check that `dirs` are finished shards of one batch covering every run index exactly once
/// per variant; every problem found is named.
pub fn check(dirs: &[PathBuf]) -> Result<MergePlan> {
    if dirs.is_empty() {
        return Err(Error::usage(
            "DIRS",
            "merge needs at least one shard directory",
        ));
    }
    let mut problems = Vec::new();
    let mut shards: Vec<(u64, u64, PathBuf, Manifest)> = Vec::new();
    for d in dirs {
        if d.join("progress.json").exists() {
            problems.push(format!(
                "{} is unfinished: complete it with `tabletop batch ... --resume`",
                d.display()
            ));
            continue;
        }
        if !d.join("manifest.json").exists() || !d.join("summary.json").exists() {
            problems.push(format!(
                "{} holds no finished shard (no manifest.json or summary.json): has its \
                 `tabletop batch --shard K/N` job run?",
                d.display()
            ));
            continue;
        }
        let m: Manifest = read_json(&d.join("manifest.json"))?;
        match m.shard {
            Some((k, n)) => shards.push((k, n, d.clone(), m)),
            None => problems.push(format!("{} is a whole batch, not a shard", d.display())),
        }
    }
    if !problems.is_empty() {
        return Err(bad(problems));
    }
    let first = shards[0].3.clone();
    let n = shards[0].1;
    for (_, sn, d, m) in &shards {
        let mut differ = |what: &str, a: String, b: String| {
            if a != b {
                problems.push(format!(
                    "{} has {what} {b}, but {} has {a}",
                    d.display(),
                    shards[0].2.display()
                ));
            }
        };
        differ(
            "scenario hash",
            first.scenario_hash.clone(),
            m.scenario_hash.clone(),
        );
        differ(
            "seed",
            first.master_seed.to_string(),
            m.master_seed.to_string(),
        );
        differ("runs", first.runs.to_string(), m.runs.to_string());
        differ("variants", first.variants.join(","), m.variants.join(","));
        differ("version", first.version.clone(), m.version.clone());
        differ("shard count", n.to_string(), sn.to_string());
    }
    if !problems.is_empty() {
        return Err(bad(problems));
    }
    for k in 1..=n {
        let holders: Vec<String> = shards
            .iter()
            .filter(|s| s.0 == k)
            .map(|s| s.2.display().to_string())
            .collect();
        match holders.len() {
            0 => problems.push(format!("shard {k}/{n} is missing")),
            1 => {}
            _ => problems.push(format!(
                "shard {k}/{n} is given more than once ({})",
                holders.join(", ")
            )),
        }
    }
    for s in &shards {
        if s.0 == 0 || s.0 > n {
            problems.push(format!("{} claims shard {}/{n}", s.2.display(), s.0));
        }
    }
    if !problems.is_empty() {
        return Err(bad(problems));
    }
    shards.sort_by_key(|s| s.0);
    let dirs: Vec<PathBuf> = shards.iter().map(|s| s.2.clone()).collect();

    let catalog_bytes = std::fs::read(dirs[0].join("catalog.json"))
        .map_err(|e| Error::io(dirs[0].join("catalog.json"), e))?;
    let source_path = dirs[0].join("scenario.ron");
    let source = std::fs::read_to_string(&source_path).map_err(|e| Error::io(&source_path, e))?;
    for d in &dirs[1..] {
        let p = d.join("catalog.json");
        if std::fs::read(&p).map_err(|e| Error::io(&p, e))? != catalog_bytes {
            problems.push(format!("{} has a different catalog.json", d.display()));
        }
    }
    if !problems.is_empty() {
        return Err(bad(problems));
    }
    let catalog: Catalog = serde_json::from_slice(&catalog_bytes)
        .map_err(|e| Error::Runtime(format!("{}: {e}", dirs[0].join("catalog.json").display())))?;
    let summary: Summary = read_json(&dirs[0].join("summary.json"))?;
    let variants: Vec<VariantInfo> = summary
        .variants
        .iter()
        .map(|v| VariantInfo {
            id: v.id.clone(),
            name: v.name.clone(),
            recommendation: v.recommendation.clone(),
            description: v.description.clone(),
        })
        .collect();
    if variants.iter().map(|v| &v.id).ne(first.variants.iter()) {
        return Err(Error::Runtime(format!(
            "{}: summary.json and manifest.json list different variants",
            dirs[0].display()
        )));
    }

    // Row coverage: every (variant, run) exactly once, each shard in order.
    let runs = first.runs;
    let nv = variants.len();
    let keys: Vec<String> = variants
        .iter()
        .map(|v| csv_safe(&v.id).into_owned())
        .collect();
    let head = header("variant", &catalog);
    let mut seen = vec![vec![0u8; runs as usize]; nv];
    for d in &dirs {
        let path = d.join("runs.csv");
        let mut last = (0usize, None::<u64>);
        let mut local = Vec::new();
        scan(&path, &head, |r| {
            let Some(v) = keys.iter().position(|k| k == r.key()) else {
                local.push(format!("{}: unknown variant {:?}", path.display(), r.key()));
                return Ok(());
            };
            let i = r.run()?;
            if (v, Some(i)) <= (last.0, last.1) && last.1.is_some() {
                local.push(format!(
                    "{}: rows out of (variant, run) order at run {i} of {}",
                    path.display(),
                    variants[v].id
                ));
            }
            last = (v, Some(i));
            match seen[v].get_mut(i as usize) {
                Some(c) => *c = c.saturating_add(1),
                None => local.push(format!(
                    "{}: run {i} of {} is beyond the batch's {runs} runs",
                    path.display(),
                    variants[v].id
                )),
            }
            Ok(())
        })?;
        local.truncate(5);
        problems.extend(local);
    }
    for (v, counts) in seen.iter().enumerate() {
        let missing: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] == 0).collect();
        let dup: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 1).collect();
        let list = |xs: &[usize]| {
            let head: Vec<String> = xs.iter().take(8).map(|i| i.to_string()).collect();
            format!(
                "{}{}",
                head.join(", "),
                if xs.len() > 8 { ", …" } else { "" }
            )
        };
        if !missing.is_empty() {
            problems.push(format!(
                "{} runs of {} are missing (run {})",
                missing.len(),
                variants[v].id,
                list(&missing)
            ));
        }
        if !dup.is_empty() {
            problems.push(format!(
                "{} runs of {} appear more than once (run {})",
                dup.len(),
                variants[v].id,
                list(&dup)
            ));
        }
    }
    if !problems.is_empty() {
        return Err(bad(problems));
    }
    let mut acc: Accumulators = read_json(&dirs[0].join("accumulators.json"))?;
    for d in &dirs[1..] {
        let other: Accumulators = read_json(&d.join("accumulators.json"))?;
        acc.merge(&other)
            .map_err(|e| Error::Runtime(format!("{}: {e}", d.display())))?;
    }
    Ok(MergePlan {
        dirs,
        n,
        manifest: first,
        catalog,
        variants,
        scenario_source: source,
        acc,
    })
}

/// Write the merged batch into `out` (runs.csv interleaved back into (variant, run) order,
/// summary recomputed, exemplars re-simulated with `sims`, one per variant).
pub fn write<S: Simulator>(
    plan: &MergePlan,
    sims: &[S],
    out: &Path,
    force: bool,
    command: &str,
) -> Result<Summary> {
    if sims.len() != plan.variants.len() {
        return Err(Error::Runtime(
            "merge needs one simulator per variant".into(),
        ));
    }
    if sims[0].catalog() != &plan.catalog {
        return Err(Error::Runtime(
            "the shards' catalog.json differs from what this tabletop builds from their \
             scenario.ron: merge with the version that ran the shards"
                .into(),
        ));
    }
    prepare_dir(out, force)?;
    let started = rfc3339_now();
    let mut man = plan.manifest.clone();
    man.shard = None;
    man.command = command.to_string();
    man.started = started.clone();
    man.finished = String::new();
    write_atomic(&out.join("scenario.ron"), plan.scenario_source.as_bytes())?;
    let cat = plan.dirs[0].join("catalog.json");
    let cat_bytes = std::fs::read(&cat).map_err(|e| Error::io(&cat, e))?;
    write_atomic(&out.join("catalog.json"), &cat_bytes)?;
    write_atomic(&out.join("manifest.json"), &json(&man)?)?;

    // Interleave: run i of every variant comes from shard i mod N, each shard read in order.
    let lay = Layout::of(&plan.catalog);
    let head = header("variant", &plan.catalog);
    let runs_path = out.join("runs.csv");
    let tmp = tmp_path(&runs_path);
    {
        let f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut w = std::io::BufWriter::new(f);
        w.write_all(head.as_bytes())
            .map_err(|e| Error::io(&tmp, e))?;
        let mut readers = Vec::new();
        for d in &plan.dirs {
            let p = d.join("runs.csv");
            let f = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
            let mut r = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(std::io::BufReader::new(f));
            let _ = r.headers();
            readers.push((r, p));
        }
        let mut rec = csv::StringRecord::new();
        for v in &plan.variants {
            let key = field(&v.id);
            for i in 0..plan.manifest.runs {
                let (r, p) = &mut readers[(i % plan.n) as usize];
                let ok = r
                    .read_record(&mut rec)
                    .map_err(|e| Error::Runtime(format!("{}: {e}", p.display())))?;
                if !ok || rec.get(1) != Some(i.to_string().as_str()) || rec.len() != lay.width() {
                    return Err(Error::Runtime(format!(
                        "{}: expected run {i} of {}",
                        p.display(),
                        v.id
                    )));
                }
                let mut line = key.clone();
                for cell in rec.iter().skip(1) {
                    line.push(',');
                    line.push_str(cell);
                }
                line.push('\n');
                w.write_all(line.as_bytes())
                    .map_err(|e| Error::io(&tmp, e))?;
            }
        }
        let f = w
            .into_inner()
            .map_err(|e| Error::io(&tmp, e.into_error()))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &runs_path).map_err(|e| Error::io(&runs_path, e))?;

    let maps: Vec<ColumnMap> = sims
        .iter()
        .map(|s| ColumnMap::new(&plan.catalog, s.catalog()))
        .collect();
    let summary = finish(
        out,
        &man,
        &plan.catalog,
        &plan.variants,
        &plan.acc,
        sims,
        &maps,
    )?;
    man.finished = rfc3339_now();
    write_atomic(&out.join("manifest.json"), &json(&man)?)?;
    Ok(summary)
}
