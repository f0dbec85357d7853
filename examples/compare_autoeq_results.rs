//! Refcan's `correct` against AutoEq's own results, headphone by headphone.
//!
//! ```text
//! cargo run --release --example compare_autoeq_results -- <autoeq root> [--only <text>]
//! ```
//!
//! `<autoeq root>` is an AutoEq checkout, or any folder laid out like one
//! (`results/<source>/<form>/<Headphone>/<Headphone>.csv` + `… ParametricEQ.txt`); it is
//! listed with [`refcan::io::library::browse_autoeq`]. Nothing from it is stored here. For
//! every headphone with a result CSV and a ParametricEQ.txt:
//!
//! 1. The CSV's `raw` column is the measurement and its `target` column the target, i.e. the
//!    exact target AutoEq used (bass boost and tilt included, offset-aligned); both are
//!    centred at 1 kHz on import.
//! 2. Refcan's correction is computed and fitted the way `refcan correct --export apo` does
//!    with its defaults: default [`CorrectionSettings`] (max boost 6 dB, amount 100 %),
//!    default [`PersonalTarget`] (the target unchanged), and 10 filters = low shelf 105 Hz +
//!    high shelf 10 kHz (Q 0.7, gains free) + 8 peaking, at 44.1 kHz, exhaustive effort.
//! 3. Reported for Refcan and for AutoEq's ParametricEQ.txt:
//!    * fit error of the filters against the curve they were fitted to (Refcan: its
//!      correction; AutoEq: the CSV's `equalization` column), measured by [`fit::evaluate`]:
//!      RMS over 20 Hz–10 kHz and AutoEq's loss;
//!    * end-to-end error: measurement + filters (no preamp) against the target, both centred
//!      at 1 kHz, RMS and max over 20 Hz–10 kHz on Refcan's grid; and the same for the
//!      unfitted curve (correction / `equalization`), which shows what the correction
//!      design alone allows (boost limit, smoothing) before any fitting;
//!    * the largest |filter gain| and the preamp.
//!
//! The CSV's `parametric_eq` column is AutoEq's response of its filters; ParametricEQ.txt
//! evaluated with the cookbook at 44.1 kHz must match it within 0.15 dB, otherwise the two
//! files are from different AutoEq runs and the headphone is left out of the summary.

use refcan::curve::{self, CorrectionSettings, PersonalTarget, Response};
use refcan::filter::{FilterSpec, cascade_magnitude_db};
use refcan::fit::{self, Effort, FitConfig, FitErrors, Shelves};
use refcan::io::{self, Content, ImportOptions, library};
use refcan::source::{Headphone, import_curve};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Sample rate of both EQs (AutoEq's `DEFAULT_FS`, Refcan's CLI default), Hz.
const FS_HZ: f64 = 44_100.0;
/// Band of the RMS/max figures (the CLI's and [`fit::FitErrors`]'), Hz.
const BAND_HZ: (f64, f64) = (20.0, 10_000.0);
/// Largest |ParametricEQ.txt − parametric_eq column| of a same-run pair, dB. The file rounds
/// Fc to 1 Hz, gain to 0.1 dB and Q to 0.01, the column to 0.01 dB; with broad filters of
/// large gain these roundings add up to about 0.1 dB (0.06–0.10 dB seen on same-run pairs,
/// 0.21 dB on the one different-run pair tried, see docs/FIT_COMPARISON.md).
const SAME_RUN_TOLERANCE_DB: f64 = 0.15;
/// Peaking filters of `refcan correct`'s default `--filters 10` (2 shelves + 8 peaking).
const PEAKING_FILTERS: usize = 8;

/// RMS and max of a difference curve, dB.
#[derive(Debug, Clone, Copy)]
struct Deviation {
    rms_db: f64,
    max_db: f64,
}

/// One EQ's figures for one headphone.
#[derive(Debug, Clone)]
struct Side {
    /// Fit error against the curve the filters were fitted to.
    fit: FitErrors,
    /// Measurement + filters vs target.
    end_to_end: Deviation,
    /// Measurement + unfitted correction curve vs target.
    ideal: Deviation,
    max_abs_gain_db: f64,
    preamp_db: f64,
}

/// Everything compared for one headphone.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    source: String,
    form: String,
    autoeq: Side,
    refcan: Side,
    /// Refcan's fitter on AutoEq's `equalization` column (same curve as AutoEq's filters):
    /// fit error and end-to-end deviation, to separate the fitter from the correction design.
    refcan_on_autoeq_curve: (FitErrors, Deviation),
    /// Largest boost of AutoEq's `equalization` column (its `max_gain` setting, or less).
    autoeq_max_eq_db: f64,
    /// Max |ParametricEQ.txt − parametric_eq column|, dB; `None` without that column.
    same_run_check_db: Option<f64>,
    fit_ms: f64,
}

impl Case {
    /// Whether the pair is known to come from one AutoEq run.
    fn same_run(&self) -> bool {
        self.same_run_check_db
            .is_some_and(|d| d <= SAME_RUN_TOLERANCE_DB)
    }
}

/// RMS and max |a − b| over the grid points in [`BAND_HZ`], both centred at 1 kHz (the same
/// figure `refcan correct` prints as "headphone + EQ vs target").
fn deviation(a: &Response, b: &Response) -> Deviation {
    let a = a.clone().centered();
    let b = b.clone().centered();
    let diffs: Vec<f64> = curve::grid_hz()
        .iter()
        .zip(a.values_db().iter().zip(b.values_db()))
        .filter(|(f, _)| (BAND_HZ.0..=BAND_HZ.1).contains(*f))
        .map(|(_, (x, y))| x - y)
        .collect();
    let n = diffs.len().max(1) as f64;
    Deviation {
        rms_db: (diffs.iter().map(|d| d * d).sum::<f64>() / n).sqrt(),
        max_db: diffs.iter().fold(0.0f64, |m, d| m.max(d.abs())),
    }
}

/// The config `refcan correct` uses for `--filters 10 --sample-rate 44100`.
fn cli_fit_config() -> FitConfig {
    FitConfig::peaking_with_shelves(PEAKING_FILTERS, Shelves::Fixed)
        .with_sample_rate(FS_HZ)
        .with_effort(Effort::Exhaustive)
}

/// One column of a curve file as points (first channel), not centred.
fn column_points(path: &Path, column: &str) -> Result<(Vec<f64>, Vec<f64>), String> {
    let options = ImportOptions {
        column: Some(column.into()),
        pair_channels: false,
    };
    let imported = io::import_file_with(path, &options).map_err(|e| e.to_string())?;
    match imported.content {
        Content::Curve(c) if c.column.eq_ignore_ascii_case(column) => {
            let curve = c.channels.channel(io::Channel::Left);
            Ok((curve.freq_hz.clone(), curve.db.clone()))
        }
        Content::Curve(c) => Err(format!(
            "{}: no column `{column}` (read `{}`)",
            path.display(),
            c.column
        )),
        Content::Eq(_) => Err(format!("{}: an EQ, not a curve", path.display())),
    }
}

/// Filters (left channel, as designed at 44.1 kHz) and preamp of a ParametricEQ.txt.
fn read_autoeq_peq(path: &Path) -> Result<(Vec<FilterSpec>, f64), String> {
    let imported = io::import_file(path).map_err(|e| e.to_string())?;
    match imported.content {
        Content::Eq(eq) => Ok((
            eq.filter_specs(FS_HZ, io::Channel::Left),
            eq.preamp_db(io::Channel::Left),
        )),
        Content::Curve(_) => Err(format!("{}: a curve, not an EQ", path.display())),
    }
}

fn max_abs_gain_db(filters: &[FilterSpec]) -> f64 {
    filters.iter().fold(0.0f64, |m, f| m.max(f.gain_db.abs()))
}

fn compare(entry: &library::LibraryEntry, csv: &Path, peq: &Path) -> Result<Case, String> {
    // 1. Measurement and target from the result CSV (both centred on import).
    let raw = ImportOptions {
        column: Some("raw".into()),
        pair_channels: false,
    };
    let headphone = Headphone::import(csv, &raw).map_err(|e| e.to_string())?;
    let target_options = ImportOptions {
        column: Some("target".into()),
        pair_channels: false,
    };
    // Refuse files without a `target` column instead of silently using `raw` as the target.
    column_points(csv, "target")?;
    let baseline = import_curve(csv, &target_options).map_err(|e| e.to_string())?;
    let target = PersonalTarget::default().build(&baseline);

    // 2. Refcan's correction and fit, as `refcan correct` makes them.
    let settings = CorrectionSettings::default();
    let correction = headphone
        .correction(&target, &settings)
        .map_err(|e| e.to_string())?;
    let measurement = headphone
        .measurement()
        .ok_or_else(|| format!("{}: not a measurement", csv.display()))?
        .map_err(|e| e.to_string())?;
    let (channel, correction) = correction
        .channels()
        .into_iter()
        .next()
        .ok_or_else(|| format!("{}: no channels", csv.display()))?;
    let h = measurement.channel(channel);
    let (grid, correction_db) = correction.to_points();
    let started = Instant::now();
    let fitted = fit::fit(&grid, &correction_db, &cli_fit_config()).map_err(|e| e.to_string())?;
    let fit_ms = started.elapsed().as_secs_f64() * 1e3;
    let refcan = Side {
        fit: fitted.errors,
        end_to_end: deviation(
            &h.plus(&Response::from_filters(&fitted.filters, FS_HZ)),
            &target,
        ),
        ideal: deviation(&h.plus(correction), &target),
        max_abs_gain_db: max_abs_gain_db(&fitted.filters),
        preamp_db: fitted.preamp_db,
    };

    // 3. AutoEq's filters against its own equalization curve and end to end.
    let (filters, preamp_db) = read_autoeq_peq(peq)?;
    let (eq_hz, eq_db) = column_points(csv, "equalization")?;
    let equalization = Response::from_points(&eq_hz, &eq_db).map_err(|e| e.to_string())?;
    let autoeq = Side {
        fit: fit::evaluate(&eq_hz, &eq_db, &filters, FS_HZ).map_err(|e| e.to_string())?,
        end_to_end: deviation(&h.plus(&Response::from_filters(&filters, FS_HZ)), &target),
        ideal: deviation(&h.plus(&equalization), &target),
        max_abs_gain_db: max_abs_gain_db(&filters),
        preamp_db,
    };
    let refit = fit::fit(&eq_hz, &eq_db, &cli_fit_config()).map_err(|e| e.to_string())?;
    let refcan_on_autoeq_curve = (
        refit.errors,
        deviation(
            &h.plus(&Response::from_filters(&refit.filters, FS_HZ)),
            &target,
        ),
    );
    let same_run_check_db = column_points(csv, "parametric_eq").ok().map(|(f, db)| {
        f.iter().zip(&db).fold(0.0f64, |m, (&hz, &p)| {
            m.max((cascade_magnitude_db(&filters, hz, FS_HZ) - p).abs())
        })
    });
    Ok(Case {
        name: entry.name.clone(),
        source: entry.source.clone(),
        form: entry.form.clone(),
        autoeq,
        refcan,
        refcan_on_autoeq_curve,
        autoeq_max_eq_db: eq_db.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        same_run_check_db,
        fit_ms,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

fn print_table(cases: &[Case]) {
    println!(
        "| headphone | source / form | fit RMS A / R (dB) | AutoEq loss A / R | end-to-end RMS A / R (dB) | end-to-end max A / R (dB) | unfitted curve RMS A / R (dB) | max abs gain A / R (dB) | preamp A / R (dB) | R fitter on A's curve: fit / end-to-end RMS (dB) | same run (dB) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for c in cases {
        let (a, r) = (&c.autoeq, &c.refcan);
        let check = match c.same_run_check_db {
            Some(d) if d <= SAME_RUN_TOLERANCE_DB => format!("yes ({d:.2})"),
            Some(d) => format!("**no** ({d:.2})"),
            None => "unchecked".into(),
        };
        println!(
            "| {} | {} / {} | {:.2} / {:.2} | {:.3} / {:.3} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.1} / {:.1} | {:.1} / {:.1} | {:.2} / {:.2} | {check} |",
            c.name,
            c.source,
            if c.form.is_empty() { "–" } else { &c.form },
            a.fit.rms_db,
            r.fit.rms_db,
            a.fit.autoeq_loss,
            r.fit.autoeq_loss,
            a.end_to_end.rms_db,
            r.end_to_end.rms_db,
            a.end_to_end.max_db,
            r.end_to_end.max_db,
            a.ideal.rms_db,
            r.ideal.rms_db,
            a.max_abs_gain_db,
            r.max_abs_gain_db,
            a.preamp_db,
            r.preamp_db,
            c.refcan_on_autoeq_curve.0.rms_db,
            c.refcan_on_autoeq_curve.1.rms_db,
        );
    }
    println!("\nA = AutoEq's ParametricEQ.txt, R = Refcan (`refcan correct` defaults).");
}

/// "N of M, by a median X dB (range lo … hi)" for `autoeq − refcan` of a figure.
fn tally(cases: &[&Case], figure: impl Fn(&Side) -> f64) -> String {
    let gains: Vec<f64> = cases
        .iter()
        .map(|c| figure(&c.autoeq) - figure(&c.refcan))
        .collect();
    let wins = gains.iter().filter(|&&g| g > 0.0).count();
    let (lo, hi) = gains
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &g| {
            (lo.min(g), hi.max(g))
        });
    format!(
        "{wins} of {}, by a median {:+.2} dB (range {lo:+.2} … {hi:+.2})",
        gains.len(),
        median(gains)
    )
}

fn print_summary(cases: &[Case]) {
    let used: Vec<&Case> = cases.iter().filter(|c| c.same_run()).collect();
    let left_out: Vec<&str> = cases
        .iter()
        .filter(|c| !c.same_run())
        .map(|c| c.name.as_str())
        .collect();
    if !left_out.is_empty() {
        println!(
            "\nLeft out of the summary (ParametricEQ.txt and CSV not from one run, or unchecked): {}",
            left_out.join(", ")
        );
    }
    if used.is_empty() {
        println!("\nNo same-run headphones to summarise.");
        return;
    }
    let e2e = tally(&used, |s| s.end_to_end.rms_db);
    let e2e_max = tally(&used, |s| s.end_to_end.max_db);
    let fit_rms = tally(&used, |s| s.fit.rms_db);
    let loss = tally(&used, |s| s.fit.autoeq_loss);
    let ideal = tally(&used, |s| s.ideal.rms_db);
    println!("\nRefcan beats AutoEq on {e2e} in end-to-end RMS;");
    println!("  in end-to-end max on {e2e_max};");
    println!("  in fit error (RMS vs its own curve) on {fit_rms};");
    println!("  in AutoEq loss (vs its own curve) on {loss};");
    println!("  unfitted curves (correction vs AutoEq's equalization), end-to-end RMS: {ideal}.");
    let refit_gains: Vec<f64> = used
        .iter()
        .map(|c| c.autoeq.end_to_end.rms_db - c.refcan_on_autoeq_curve.1.rms_db)
        .collect();
    let (lo, hi) = refit_gains
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &g| {
            (lo.min(g), hi.max(g))
        });
    println!(
        "Refcan's fitter on AutoEq's own equalization curve beats AutoEq's filters end to end on {} of {}, by a median {:+.3} dB (range {lo:+.3} … {hi:+.3}).",
        refit_gains.iter().filter(|&&g| g > 0.0).count(),
        refit_gains.len(),
        median(refit_gains.clone())
    );
    println!("(Differences are AutoEq − Refcan: positive means Refcan is lower.)");
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut root: Option<PathBuf> = None;
    let mut only: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--only" => only = it.next().map(|s| s.to_lowercase()),
            "-h" | "--help" => {
                println!("usage: compare_autoeq_results <autoeq root> [--only <text>]");
                return Ok(());
            }
            other if root.is_none() => root = Some(PathBuf::from(other)),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let root = root.ok_or("usage: compare_autoeq_results <autoeq root> [--only <text>]")?;
    let entries = library::browse_autoeq(&root).map_err(|e| e.to_string())?;
    let mut cases = Vec::new();
    for entry in &entries {
        if only
            .as_ref()
            .is_some_and(|o| !entry.name.to_lowercase().contains(o))
        {
            continue;
        }
        let (Some(csv), Some(peq)) = (&entry.files.result_csv, &entry.files.parametric_eq) else {
            continue;
        };
        match compare(entry, csv, peq) {
            Ok(case) => {
                eprintln!(
                    "{} ({}/{}): AutoEq equalization peaks at {:+.2} dB; Refcan fit {:.0} ms",
                    case.name, case.source, case.form, case.autoeq_max_eq_db, case.fit_ms
                );
                cases.push(case);
            }
            Err(e) => eprintln!("skipped {}: {e}", entry.name),
        }
    }
    if cases.is_empty() {
        return Err(format!(
            "{}: no headphone with a result CSV and a ParametricEQ.txt",
            root.display()
        ));
    }
    println!();
    print_table(&cases);
    print_summary(&cases);
    Ok(())
}
