//! `tabletop import-msel`: the exported `msel.csv` round-trips byte for byte, edits land in
//! the injects only, and every row that cannot be mapped is reported with its line.

use assert_cmd::Command;
use predicates::str::contains;
use std::path::Path;

const FUEL: &str = "scenarios/fuel-line.ron";

fn tabletop() -> Command {
    Command::cargo_bin("tabletop").unwrap()
}

/// A batch's exported MSEL of fuel-line.
fn exported_msel(dir: &Path) -> String {
    let out = dir.join("b");
    tabletop()
        .args(["-q", "batch", FUEL, "--runs", "4", "--out"])
        .arg(&out)
        .assert()
        .success();
    std::fs::read_to_string(out.join("msel.csv")).unwrap()
}

fn import(csv: &Path, into: &Path, out: &Path) -> assert_cmd::assert::Assert {
    tabletop()
        .arg("import-msel")
        .arg(csv)
        .arg("--into")
        .arg(into)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Write `text` as `dir/name`, copy fuel-line to `dir/s.ron` when it is not there yet, and
/// import the CSV into it in place; the scenario's path and the command's result.
fn import_in_place(
    dir: &Path,
    name: &str,
    text: &str,
) -> (std::path::PathBuf, assert_cmd::assert::Assert) {
    let csv = dir.join(name);
    std::fs::write(&csv, text).unwrap();
    let target = dir.join("s.ron");
    if !target.exists() {
        std::fs::copy(FUEL, &target).unwrap();
    }
    let done = tabletop()
        .arg("import-msel")
        .arg(&csv)
        .arg("--into")
        .arg(&target)
        .assert();
    (target, done)
}

#[test]
fn exported_msel_round_trips_and_edits_change_only_the_injects() {
    let t = tempfile::tempdir().unwrap();
    let msel = exported_msel(t.path());
    let csv = t.path().join("msel.csv");
    std::fs::write(&csv, &msel).unwrap();
    let out = t.path().join("same.ron");
    import(&csv, Path::new(FUEL), &out)
        .success()
        .stdout(contains("0 injects updated, 0 added, 9 unchanged"));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(FUEL).unwrap(),
        "export → import must give back the same scenario"
    );

    // Edit: new synopsis and time for I-04 (an `At` inject), a new row I-99.
    let mut lines: Vec<String> = msel.lines().map(str::to_string).collect();
    let i04 = lines.iter().position(|l| l.contains(",I-04,")).unwrap();
    let mut rec: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(lines[i04].as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    rec[2] = "21.5".into();
    rec[5] = String::new(); // no trigger text: the time column decides
    rec[6] = "HSIN portal outage, \"all day\"".into();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&rec).unwrap();
    lines[i04] = String::from_utf8(w.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_string();
    lines.push(
        "99,I-99,30,,,,Reporter calls the operator's press line,SimCell (press),\
         Pipeline operator (Colonial-like); cisa,,,Operator issues a holding statement,O4-public,"
            .into(),
    );
    std::fs::write(&csv, lines.join("\n")).unwrap();
    let out2 = t.path().join("edited.ron");
    import(&csv, Path::new(FUEL), &out2)
        .success()
        .stdout(contains("1 injects updated, 1 added, 8 unchanged"));
    let s = tabletop_scenario(&out2);
    let i = s.iter().find(|i| i.0 == "I-04").unwrap();
    assert_eq!(i.1, "HSIN portal outage, \"all day\"");
    assert!((i.2 - 21.5).abs() < 1e-12);
    let n = s.iter().find(|i| i.0 == "I-99").unwrap();
    assert_eq!(n.1, "Reporter calls the operator's press line");
    assert!((n.2 - 30.0).abs() < 1e-12);
    // Outside the injects list, the file's text is untouched.
    let (a, b) = (
        std::fs::read_to_string(FUEL).unwrap(),
        std::fs::read_to_string(&out2).unwrap(),
    );
    let cut = a.find("    injects: [").unwrap();
    assert_eq!(a[..cut], b[..cut]);
    let tail_a = &a[a.find("\n    objectives: [").unwrap()..];
    assert!(b.ends_with(tail_a));
    tabletop().arg("validate").arg(&out2).assert().success();
}

/// (id, synopsis, hours of an `At` trigger) of each inject, read back with `tabletop run`'s
/// loader via the CLI-independent library.
fn tabletop_scenario(p: &Path) -> Vec<(String, String, f64)> {
    let sc = tabletop::scenario::load(p).unwrap();
    sc.spec()
        .injects
        .iter()
        .map(|i| {
            let h = match &i.trigger {
                tabletop::scenario::schema::TriggerSpec::At(d) => d.hours(),
                _ => f64::NAN,
            };
            (i.id.clone(), i.synopsis.clone(), h)
        })
        .collect()
}

#[test]
fn unmappable_rows_are_all_reported_with_lines_and_nothing_is_written() {
    let t = tempfile::tempdir().unwrap();
    let (target, done) = import_in_place(
        t.path(),
        "msel.csv",
        "No.,Time,From,Recipients,Description,Expected Response,Objective\n\
         1,0,SimCell,pipeline_op,Ransom note found,Activate IR plan,O1-share\n\
         20,noon,SimCell,pipeline_op,Later,Act,O1-share\n\
         21,3,SimCell,FBI Atlnta Field Office (cyber squad),Call,Act,O1-share\n\
         22,4,SimCell,cisa,Call,Act,O9-nothing\n",
    );
    done.code(2)
        .stderr(contains("3 row(s) cannot be mapped"))
        .stderr(contains("msel.csv:3: bad time `noon`"))
        .stderr(contains(
            "msel.csv:4: unknown agency `FBI Atlnta Field Office (cyber squad)`",
        ))
        .stderr(contains(
            "did you mean \"FBI Atlanta Field Office (cyber squad)\"?",
        ))
        .stderr(contains("msel.csv:5: unknown objective `O9-nothing`"));
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(FUEL).unwrap()
    );
}

#[test]
fn a_spreadsheet_msel_with_other_headers_imports_into_a_scenario_in_place() {
    let t = tempfile::tempdir().unwrap();
    // Excel's UTF-8 BOM, other header names, a formula-neutralised cell.
    let (target, done) = import_in_place(
        t.path(),
        "planner.csv",
        "\u{feff}MSEL No,Inject ID,Hour,Sender,To,Synopsis,Expected Action,Objectives\n\
         1,I-01,0,SimCell (pipeline control room),pipeline_op,\
         '=Ransom note found,Activate the IR plan,O1-share; O2-coverage\n",
    );
    done.success()
        .stdout(contains("1 injects updated"))
        .stdout(contains("kept 8 not in the MSEL"));
    let s = tabletop_scenario(&target);
    assert_eq!(s[0].1, "=Ransom note found");
    tabletop().arg("validate").arg(&target).assert().success();
}

/// A planner's MSEL that gives times as the export's "Scenario clock" writes them
/// (`Day 2 09:00`; fuel-line starts at 05:00 on Day 1): read as hours from the start. A clock
/// time before the start is reported with its line.
#[test]
fn day_clock_times_are_read_from_the_exercise_start() {
    let t = tempfile::tempdir().unwrap();
    let (target, done) = import_in_place(
        t.path(),
        "clock.csv",
        "Inject ID,Scenario clock,Synopsis\n\
         I-05,Day 2 09:00,The post goes viral later\n",
    );
    done.success().stdout(contains("1 injects updated"));
    let s = tabletop_scenario(&target);
    let i05 = s.iter().find(|i| i.0 == "I-05").unwrap();
    assert_eq!(i05.2, 28.0, "{i05:?}");
    tabletop().arg("validate").arg(&target).assert().success();

    let (_, done) = import_in_place(
        t.path(),
        "clock.csv",
        "Inject ID,Time,Synopsis\nI-05,Day 1 04:00,Before the start\n",
    );
    done.code(2)
        .stderr(contains("clock.csv:2: bad time `Day 1 04:00`"))
        .stderr(contains("`Day 2 07:00`"));
}
