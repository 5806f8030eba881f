//! `tabletop serve`, `tabletop replay` and `tabletop report --session`: the app-layer glue of
//! the live console ([`crate::console`]).

use super::options::{ServeRequest, Verbosity};
use super::{load, write_run_files};
use crate::console::log::{self as slog, Session};
use crate::console::session::{Live, Opener};
use crate::error::{Error, Result};
use crate::scenario::ValidScenario;
use crate::sim::{Action, Model, RunSeed, replay as replay_run};
use std::path::{Path, PathBuf};

/// The scenario a session was played on: `file` (or the log's), its variant applied, its hash
/// checked against the log's.
fn session_scenario(
    session: &Session,
    file: Option<&Path>,
    log: &Path,
    v: Verbosity,
) -> Result<ValidScenario> {
    let path = file.unwrap_or(&session.header.scenario);
    let base = load(path, v)?;
    let scn = match &session.header.variant {
        Some(id) => base.with_variant(id)?,
        None => base,
    };
    if scn.hash() != session.header.scenario_hash {
        return Err(Error::usage(
            log.display().to_string(),
            format!(
                "{} is not the scenario this session was played on (hash {}, the log says {}); give the original with --scenario",
                path.display(),
                scn.hash(),
                session.header.scenario_hash
            ),
        ));
    }
    Ok(scn)
}

/// `tabletop replay LOG --out DIR`: the played run's `timeline.csv`, `series.csv` and
/// `outcome.json`, byte-identical to what `tabletop run` writes for a session without actions.
pub(super) fn replay(log: &Path, out: &Path, file: Option<&Path>, v: Verbosity) -> Result<()> {
    let session = slog::read(log)?;
    let scn = session_scenario(&session, file, log, v)?;
    let model = Model::new(&scn);
    let seed = RunSeed {
        master: session.header.seed,
        run_index: session.header.run_index,
    };
    let outcome = replay_run(&model, seed, &session.actions(), true)
        .map_err(|m| Error::usage(log.display().to_string(), m))?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    write_run_files(
        out,
        &scn,
        &model,
        &outcome,
        seed.master,
        session.header.variant.as_deref(),
    )?;
    if !v.quiet {
        println!(
            "replayed {} action(s) of {}; wrote {}",
            session.actions().len(),
            log.display(),
            out.display()
        );
    }
    Ok(())
}

/// Build the live session a `serve` request asks for (none without a scenario file: the
/// console starts on its scenario picker).
pub(super) fn open_session(r: &ServeRequest, v: Verbosity) -> Result<Option<Live>> {
    if let Some(log) = &r.resume {
        let session = slog::read(log)?;
        let scn = session_scenario(&session, r.file.as_deref(), log, v)?;
        return Live::resume(scn, session, log).map(Some);
    }
    let Some(file) = r.file.as_ref() else {
        return Ok(None);
    };
    let base = load(file, v)?;
    let scn = match &r.variant {
        Some(id) => base.with_variant(id)?,
        None => base,
    };
    let log = r.log.clone().unwrap_or_else(|| {
        let mut p = PathBuf::from("output");
        p.push(scn.stem());
        p.push(format!(
            "session-{}-{}.jsonl",
            r.seed,
            slog::wall_ms() / 1000
        ));
        p
    });
    if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let seed = RunSeed {
        master: r.seed,
        run_index: r.run_index,
    };
    let mut live = Live::start(scn, file, seed, r.variant.clone(), Some(&log))?;
    for agency in &r.teams {
        live.act(
            &crate::console::session::Role::Facilitator,
            Action::Control {
                agency: agency.clone(),
                on: true,
            },
        )
        .map_err(|e| Error::usage(format!("--team {agency}"), e.to_string()))?;
    }
    for agency in &r.team_shares {
        live.act(
            &crate::console::session::Role::Facilitator,
            Action::Sharing {
                agency: agency.clone(),
                on: true,
            },
        )
        .map_err(|e| Error::usage(format!("--team-shares {agency}"), e.to_string()))?;
    }
    if !v.quiet {
        println!("session log: {}", log.display());
    }
    Ok(Some(live))
}

/// `tabletop serve`: open the session and serve the console until Ctrl-C.
pub(super) fn serve(r: &ServeRequest, v: Verbosity) -> Result<()> {
    let live = open_session(r, v)?;
    let opener = Opener {
        shipped: PathBuf::from("scenarios"),
        out: PathBuf::from("output"),
        seed: RunSeed {
            master: r.seed,
            run_index: r.run_index,
        },
    };
    crate::console::server::serve(live, opener, r.addr, !v.quiet)
}

/// `tabletop report DIR --session LOG`: place the played run in the batch's distribution.
pub(super) fn session_report(dir: &Path, log: &Path, v: Verbosity) -> Result<PathBuf> {
    let session = slog::read(log)?;
    let scn = session_scenario(&session, None, log, v)?;
    crate::console::aar::write(dir, &scn, &session)
}
