//! Compares `refcan::fit` with AutoEq's own parametric EQs on the same curves.
//!
//! Reads AutoEq data from `../shared/data/autoeq` next to the repository (or from the folder
//! named by `REFCAN_SHARED`) at run time; nothing from it is stored in the repository.
//!
//! ```text
//! cargo run --release --example compare_autoeq_fit                 # table to stdout
//! cargo run --release --example compare_autoeq_fit -- --write-curves /tmp/curves
//! ```
//!
//! AutoEq's own fits of the synthetic curves (and of the real curves with other budgets) are
//! read from `tools/compare_autoeq_fit/autoeq_4.1.2/` (or `--autoeq-dir`); see the README
//! there for how they were made.
//!
//! * Real cases: AutoEq's result CSVs (HD 600, DT 770 Pro): their `equalization` column is the
//!   curve AutoEq fitted, `ParametricEQ.txt` its filters (AutoEq's default, LS 105 Hz + 4
//!   peaking fitted first, then HS 10 kHz + 4 peaking on the residual), `parametric_eq` its
//!   response, used to check that we evaluate AutoEq's filters right.
//! * Synthetic cases: equalization curves for the other measurements against Harman over-ear
//!   2018 (and in-ear 2019 v2 for in-ears), made with a simple AutoEq-like recipe below.
//!   AutoEq's filters for these come from `--autoeq-dir` (files `<case> <config>.txt` in
//!   ParametricEQ format, written by running AutoEq on the curves from `--write-curves`).

use refcan::dsp::biquad::{FilterKind, FilterSpec, cascade_magnitude_db};
use refcan::fit::{self, Effort, FitConfig, FitErrors, Shelves};
use std::path::{Path, PathBuf};
use std::time::Instant;

const FS: f64 = 44_100.0;

/// AutoEq 4.1.2's fits of the same curves, kept in the repository (see its README.md).
const COMMITTED_AUTOEQ_DIR: &str = "tools/compare_autoeq_fit/autoeq_4.1.2";

fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("REFCAN_SHARED") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Reads named columns of a comma-separated file with a header line.
fn read_columns(path: &Path, names: &[&str]) -> Result<Vec<Vec<f64>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("{}: empty", path.display()))?
        .split(',')
        .map(str::trim)
        .collect();
    let idx: Vec<usize> = names
        .iter()
        .map(|n| {
            header
                .iter()
                .position(|h| h == n)
                .ok_or_else(|| format!("{}: no column {n}", path.display()))
        })
        .collect::<Result<_, _>>()?;
    let mut cols = vec![Vec::new(); names.len()];
    for (ln, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        for (c, &i) in idx.iter().enumerate() {
            let v: f64 = fields
                .get(i)
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| format!("{}:{}: bad field {i}", path.display(), ln + 2))?;
            cols[c].push(v);
        }
    }
    Ok(cols)
}

/// Parses the `Filter n: ON PK|LSC|HSC Fc … Hz Gain … dB Q …` lines of a ParametricEQ.txt.
fn read_parametric_eq(path: &Path) -> Result<Vec<FilterSpec>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.first() != Some(&"Filter") {
            continue;
        }
        let bad = || format!("{}:{}: cannot read `{line}`", path.display(), ln + 1);
        let find = |key: &str| -> Option<f64> {
            let i = t.iter().position(|w| *w == key)?;
            t.get(i + 1)?.parse().ok()
        };
        let kind = match t.get(3).copied() {
            Some("PK") => FilterKind::Peaking,
            Some("LSC") | Some("LS") => FilterKind::LowShelf,
            Some("HSC") | Some("HS") => FilterKind::HighShelf,
            _ => return Err(bad()),
        };
        out.push(FilterSpec {
            kind,
            freq_hz: find("Fc").ok_or_else(bad)?,
            q: find("Q").ok_or_else(bad)?,
            gain_db: find("Gain").ok_or_else(bad)?,
        });
    }
    Ok(out)
}

fn write_parametric_eq(filters: &[FilterSpec], preamp_db: f64) -> String {
    let mut s = format!("Preamp: {preamp_db:.1} dB\n");
    for (i, f) in filters.iter().enumerate() {
        let kind = match f.kind {
            FilterKind::LowShelf => "LSC",
            FilterKind::HighShelf => "HSC",
            _ => "PK",
        };
        s += &format!(
            "Filter {}: ON {kind} Fc {:.0} Hz Gain {:.1} dB Q {:.2}\n",
            i + 1,
            f.freq_hz,
            f.gain_db,
            f.q
        );
    }
    s
}

/// Rounds filters the way ParametricEQ.txt stores them (Fc 1 Hz, gain 0.1 dB, Q 0.01).
fn rounded(filters: &[FilterSpec]) -> Vec<FilterSpec> {
    filters
        .iter()
        .map(|f| FilterSpec {
            freq_hz: f.freq_hz.round(),
            gain_db: (f.gain_db * 10.0).round() / 10.0,
            q: (f.q * 100.0).round() / 100.0,
            ..*f
        })
        .collect()
}

// ---- A simple AutoEq-like equalisation recipe for the synthetic cases ----

fn interp_log(freq: &[f64], val: &[f64], at: f64) -> f64 {
    let x = at.log10();
    let n = freq.len();
    if x <= freq[0].log10() {
        return val[0];
    }
    if x >= freq[n - 1].log10() {
        return val[n - 1];
    }
    let i = freq.partition_point(|f| f.log10() <= x) - 1;
    let (x0, x1) = (freq[i].log10(), freq[i + 1].log10());
    val[i] + (x - x0) / (x1 - x0) * (val[i + 1] - val[i])
}

/// Centred moving average over `octaves` on a log grid of ratio `step`.
fn smooth(v: &[f64], step: f64, octaves: f64) -> Vec<f64> {
    let half = ((octaves / 2.0) / step.log2()).round() as isize;
    (0..v.len() as isize)
        .map(|i| {
            let lo = (i - half).max(0) as usize;
            let hi = ((i + half) as usize).min(v.len() - 1);
            v[lo..=hi].iter().sum::<f64>() / (hi - lo + 1) as f64
        })
        .collect()
}

/// Equalisation curve of a measurement against a target: both on the 1.01 grid, centred at
/// 1 kHz; error smoothed 1/12 octave below 6 kHz and 2 octaves above 8 kHz (log-sigmoid
/// blend, as AutoEq); equalisation = −error with boost limited to +6 dB, smoothed 1/5 octave.
fn equalization(meas: &Path, target: &Path) -> Result<(Vec<f64>, Vec<f64>), String> {
    let m = read_columns(meas, &["frequency", "raw"])?;
    let t = read_columns(target, &["frequency", "raw"])?;
    let step = 1.01;
    let grid: Vec<f64> = fit::grid::log_grid(20.0, 20_000.0, step);
    let at = |c: &Vec<Vec<f64>>, f: f64| interp_log(&c[0], &c[1], f);
    let (m1k, t1k) = (at(&m, 1000.0), at(&t, 1000.0));
    let err: Vec<f64> = grid
        .iter()
        .map(|&f| (at(&m, f) - m1k) - (at(&t, f) - t1k))
        .collect();
    let narrow = smooth(&err, step, 1.0 / 12.0);
    let wide = smooth(&err, step, 2.0);
    let (lo, hi) = (6000f64.log10(), 8000f64.log10());
    let centre = (lo + hi) / 2.0;
    let smoothed: Vec<f64> = grid
        .iter()
        .zip(narrow.iter().zip(&wide))
        .map(|(&f, (n, w))| {
            let k = 1.0 / (1.0 + (-(f.log10() - centre) / ((hi - lo) / 2.0 / 4.0)).exp());
            n * (1.0 - k) + w * k
        })
        .collect();
    let eq: Vec<f64> = smoothed.iter().map(|e| (-e).min(6.0)).collect();
    Ok((grid, smooth(&eq, step, 0.2)))
}

// ---- Table ----

/// One fit (ours or AutoEq's) of one case with one filter budget.
struct Row {
    case: String,
    config: &'static str,
    who: &'static str,
    e: FitErrors,
    time_ms: Option<f64>,
}

/// The filter budgets compared; AutoEq's default (LS + 4 PK, then HS + 4 PK on the residual)
/// has the same budget as `8_PEAKING_WITH_SHELVES` and is compared with it.
fn configs() -> Vec<(&'static str, FitConfig)> {
    vec![
        (
            "8_PEAKING_WITH_SHELVES",
            FitConfig::autoeq_8_peaking_with_shelves(),
        ),
        ("10_PEAKING", FitConfig::autoeq_10_peaking()),
        (
            "8 PK + free shelves",
            FitConfig::peaking_with_shelves(8, Shelves::Free),
        ),
    ]
}

const AUTOEQ_FILE: &str = "AutoEq ParametricEQ.txt (default: LS+4PK, HS+4PK)";
const AUTOEQ_RUN: &str = "AutoEq 4.1.2";
const OURS_SINGLE: &str = "refcan, single start";
const OURS: &str = "refcan";
const OURS_ROUNDED: &str = "refcan, rounded like .txt";

fn print_summary(rows: &[Row]) {
    println!("\n## Ours vs AutoEq (same curve, same filter budget, same metric)\n");
    println!(
        "| case | budget | AutoEq fit | AutoEq RMS / loss (dB) | refcan RMS / loss (dB) | loss ratio | time AutoEq / refcan (ms) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let find = |case: &str, config: &str, who: &str| {
        rows.iter()
            .find(|r| r.case == case && r.config == config && r.who == who)
    };
    let mut wins = 0;
    let mut total = 0;
    for t in rows
        .iter()
        .filter(|r| r.who == AUTOEQ_FILE || r.who == AUTOEQ_RUN)
    {
        let default_run = t.config == "default";
        if default_run && find(&t.case, "8_PEAKING_WITH_SHELVES", AUTOEQ_FILE).is_some() {
            // The result file is this very run (AutoEq's default), already listed.
            continue;
        }
        let budget = if default_run {
            "8_PEAKING_WITH_SHELVES"
        } else {
            t.config
        };
        let Some(ours) = find(&t.case, budget, OURS) else {
            continue;
        };
        let which = if t.who == AUTOEQ_FILE {
            "result file (default: LS+4PK, then HS+4PK)"
        } else if default_run {
            "4.1.2 run, default (LS+4PK, then HS+4PK)"
        } else {
            "4.1.2 run, same config"
        };
        total += 1;
        if ours.e.autoeq_loss < t.e.autoeq_loss && ours.e.rms_db < t.e.rms_db {
            wins += 1;
        }
        println!(
            "| {} | {budget} | {which} | {:.3} / {:.3} | {:.3} / {:.3} | {:.2} | {} / {:.0} |",
            t.case,
            t.e.rms_db,
            t.e.autoeq_loss,
            ours.e.rms_db,
            ours.e.autoeq_loss,
            ours.e.autoeq_loss / t.e.autoeq_loss,
            t.time_ms
                .map(|v| format!("{v:.0}"))
                .unwrap_or_else(|| "–".into()),
            ours.time_ms.unwrap_or(f64::NAN)
        );
    }
    println!("\nrefcan lower on both RMS and loss in {wins} of {total} comparisons");
}

fn print_rows(rows: &[Row]) {
    println!("\n## All fits\n");
    println!(
        "| case | config | fitter | RMS 20 Hz–10 kHz (dB) | max abs (dB) | AutoEq loss | time (ms) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        let t = r.time_ms.map(|t| format!("{t:.0}")).unwrap_or_default();
        println!(
            "| {} | {} | {} | {:.3} | {:.2} | {:.3} | {t} |",
            r.case, r.config, r.who, r.e.rms_db, r.e.max_abs_db, r.e.autoeq_loss
        );
    }
}

fn fit_ours(
    case: &str,
    freq: &[f64],
    eq: &[f64],
    rows: &mut Vec<Row>,
    write_dir: Option<&Path>,
) -> Result<(), String> {
    for (name, config) in configs() {
        for effort in [Effort::Single, Effort::Thorough] {
            let cfg = config.clone().with_effort(effort);
            let t0 = Instant::now();
            let r = fit::fit(freq, eq, &cfg).map_err(|e| e.to_string())?;
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            let who = if effort == Effort::Single {
                OURS_SINGLE
            } else {
                OURS
            };
            rows.push(Row {
                case: case.into(),
                config: name,
                who,
                e: r.errors,
                time_ms: Some(ms),
            });
            if effort == Effort::Thorough {
                let e =
                    fit::evaluate(freq, eq, &rounded(&r.filters), FS).map_err(|e| e.to_string())?;
                rows.push(Row {
                    case: case.into(),
                    config: name,
                    who: OURS_ROUNDED,
                    e,
                    time_ms: None,
                });
                if let Some(dir) = write_dir {
                    let p = dir.join(format!("{case} {name} refcan.txt"));
                    std::fs::write(&p, write_parametric_eq(&r.filters, r.preamp_db))
                        .map_err(|e| format!("{}: {e}", p.display()))?;
                }
            }
        }
    }
    Ok(())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    let write_dir = arg("--write-curves");
    let autoeq_dir = arg("--autoeq-dir").or_else(|| {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED_AUTOEQ_DIR);
        committed.is_dir().then_some(committed)
    });
    let data = shared_dir().join("data/autoeq");
    if !data.is_dir() {
        println!("skipped: {} not found", data.display());
        return Ok(());
    }
    if let Some(d) = &write_dir {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    let mut rows = Vec::new();

    // Real AutoEq results.
    for name in [
        "Sennheiser HD 600",
        "Beyerdynamic DT 770 Pro (worn earpads)",
    ] {
        let csv = data.join("results").join(format!("{name}.csv"));
        let cols = read_columns(&csv, &["frequency", "equalization", "parametric_eq"])?;
        let (freq, eq, peq) = (&cols[0], &cols[1], &cols[2]);
        let txt = data
            .join("results")
            .join(format!("{name} ParametricEQ.txt"));
        let autoeq = read_parametric_eq(&txt)?;
        // Check our evaluation of AutoEq's filters against AutoEq's own response column, both
        // directly and the way AutoEq makes the column (sum on its 1.02 grid, then linear
        // interpolation in log f onto the 1.01 grid).
        let check = |filters: &[FilterSpec]| {
            let coarse = fit::grid::log_grid(20.0, 20_000.0, 1.02);
            let coarse_db: Vec<f64> = coarse
                .iter()
                .map(|&f| cascade_magnitude_db(filters, f, FS))
                .collect();
            let (mut direct, mut via_grid) = (0.0f64, 0.0f64);
            for (&f, &p) in freq.iter().zip(peq) {
                direct = direct.max((cascade_magnitude_db(filters, f, FS) - p).abs());
                via_grid = via_grid.max((interp_log(&coarse, &coarse_db, f) - p).abs());
            }
            (direct, via_grid)
        };
        let (direct, via_grid) = check(&autoeq);
        println!(
            "{name}: ParametricEQ.txt filters ({}) vs its parametric_eq column: max |diff| {direct:.3} dB direct, {via_grid:.3} dB via AutoEq's 1.02 grid",
            autoeq.len()
        );
        if let Some(dir) = &autoeq_dir {
            let p = dir.join(format!("{name} default.txt"));
            if p.is_file() {
                let (direct, via_grid) = check(&read_parametric_eq(&p)?);
                println!(
                    "{name}: unrounded AutoEq 4.1.2 re-run ({}) vs the column: max |diff| {direct:.3} dB direct, {via_grid:.3} dB via the 1.02 grid",
                    p.display()
                );
            }
        }
        let e = fit::evaluate(freq, eq, &autoeq, FS).map_err(|e| e.to_string())?;
        rows.push(Row {
            case: name.into(),
            config: "8_PEAKING_WITH_SHELVES",
            who: AUTOEQ_FILE,
            e,
            time_ms: None,
        });
        if let Some(d) = &write_dir {
            let body: String = std::iter::once("frequency,equalization\n".to_string())
                .chain(freq.iter().zip(eq).map(|(f, v)| format!("{f},{v}\n")))
                .collect();
            std::fs::write(d.join(format!("{name}.csv")), body).map_err(|e| e.to_string())?;
        }
        add_autoeq_dir_rows(name, freq, eq, autoeq_dir.as_deref(), &mut rows)?;
        fit_ours(name, freq, eq, &mut rows, write_dir.as_deref())?;
    }

    // Synthetic cases.
    let over = data.join("Harman over-ear 2018.csv");
    let inear = data.join("harman_in-ear_2019v2.csv");
    let cases: Vec<(String, PathBuf, PathBuf)> = vec![
        ("Beats Studio3 Wireless", &over),
        ("Sony MDR-XB50", &over),
        ("Apple AirPods", &over),
        ("Beats Powerbeats Pro", &over),
        ("Apple EarPods", &over),
        ("Sony MDR-XB50", &inear),
        ("Apple AirPods", &inear),
    ]
    .into_iter()
    .map(|(m, t)| {
        let label = if t == &inear { "IE 2019" } else { "OE 2018" };
        (
            format!("{m} vs Harman {label}"),
            data.join(format!("{m}.csv")),
            t.clone(),
        )
    })
    .collect();
    for (case, meas, target) in cases {
        let (freq, eq) = equalization(&meas, &target)?;
        if let Some(d) = &write_dir {
            let body: String = std::iter::once("frequency,equalization\n".to_string())
                .chain(freq.iter().zip(&eq).map(|(f, v)| format!("{f},{v}\n")))
                .collect();
            std::fs::write(d.join(format!("{case}.csv")), body).map_err(|e| e.to_string())?;
        }
        add_autoeq_dir_rows(&case, &freq, &eq, autoeq_dir.as_deref(), &mut rows)?;
        fit_ours(&case, &freq, &eq, &mut rows, write_dir.as_deref())?;
    }
    print_summary(&rows);
    print_rows(&rows);
    Ok(())
}

/// Rows for AutoEq fits of `case` found in `dir` as `<case> <config>.txt`.
fn add_autoeq_dir_rows(
    case: &str,
    freq: &[f64],
    eq: &[f64],
    dir: Option<&Path>,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let Some(dir) = dir else { return Ok(()) };
    let names = configs().into_iter().map(|(n, _)| n).chain(["default"]);
    for name in names {
        let p = dir.join(format!("{case} {name}.txt"));
        if p.is_file() {
            let filters = read_parametric_eq(&p)?;
            let e = fit::evaluate(freq, eq, &filters, FS).map_err(|e| e.to_string())?;
            // First line `# autoeq 4.1.2, <ms> ms`: AutoEq's own fit time (Python).
            let time_ms = std::fs::read_to_string(&p)
                .ok()
                .and_then(|t| t.lines().next().map(str::to_owned))
                .and_then(|l| l.split(", ").nth(1)?.strip_suffix(" ms")?.parse().ok());
            rows.push(Row {
                case: case.into(),
                config: name,
                who: AUTOEQ_RUN,
                e,
                time_ms,
            });
        }
    }
    Ok(())
}
