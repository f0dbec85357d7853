//! `refcan plot`: curves on a log-frequency axis (labelled 20, 50, 100 … 20k) to a PNG.
//!
//! Drawn with `plotters`' bitmap backend; text uses the Ubuntu Light face that egui bundles
//! (`epaint_default_fonts`), registered at run time, so no system font is needed.

use plotters::coord::combinators::{BindKeyPoints, IntoLogRange};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use refcan::chain::{NamedCurve, Role};
use refcan::curve::grid_hz;
use refcan::plot;
use std::path::Path;

const FONT: &str = "refcan-sans";
const SIM_COLOURS: [RGBColor; 8] = [
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(127, 127, 127),
];

/// Draws `curves` into a `width`×`height` PNG at `path`.
pub fn draw(
    path: &Path,
    title: &str,
    curves: &[NamedCurve],
    width: u32,
    height: u32,
) -> Result<(), String> {
    register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT)
        .map_err(|_| "the embedded font could not be loaded".to_string())?;
    let err = |e: &dyn std::fmt::Display| format!("{}: cannot draw: {e}", path.display());

    // The same axes as the editor's plot (`refcan::plot`).
    let (y_min, y_max) = plot::db_range(curves.iter().map(|c| &c.curve));

    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 24))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(
            (plot::FREQUENCY_RANGE_HZ.0..plot::FREQUENCY_RANGE_HZ.1)
                .log_scale()
                .with_key_points(plot::FREQUENCY_TICKS_HZ.to_vec()),
            y_min..y_max,
        )
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("Frequency (Hz)")
        .y_desc("Level (dB re 1 kHz)")
        .x_label_formatter(&|f: &f64| plot::frequency_label(*f))
        .y_label_formatter(&|v: &f64| format!("{v:.0}"))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .max_light_lines(2)
        .light_line_style(RGBColor(242, 242, 242))
        .bold_line_style(RGBColor(205, 205, 205))
        .draw()
        .map_err(|e| err(&e))?;

    let mut sim_index = 0;
    for c in curves {
        let (colour, width_px) = match c.role {
            Role::Measurement => (RGBColor(150, 150, 150), 2),
            Role::Target => (RGBColor(0, 0, 0), 2),
            Role::Correction => (RGBColor(31, 119, 180), 2),
            Role::Result => (RGBColor(44, 160, 44), 3),
            Role::Chain => (RGBColor(31, 119, 180), 1),
            Role::Simulation => {
                sim_index += 1;
                (SIM_COLOURS[(sim_index - 1) % SIM_COLOURS.len()], 2)
            }
        };
        let style = ShapeStyle::from(&colour).stroke_width(width_px);
        let points = grid_hz()
            .iter()
            .copied()
            .zip(c.curve.values_db().iter().map(|v| v.clamp(y_min, y_max)));
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(|e| err(&e))?
            .label(c.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, 15))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
