//! The editor's widgets: parameter sliders and toggles that speak to the host in gestures,
//! the frequency-response plot, peak meters with a clip lamp, banners and section headers.

use super::app::colors;
use crate::chain::{NamedCurve, Role};
use crate::meters::{Ballistics, METER_FLOOR_DB, PeakMeter};
use crate::plot::{
    FREQUENCY_RANGE_HZ, FREQUENCY_TICKS_HZ, db_range, db_ticks, format_db, format_hz,
};
use egui::{Color32, RichText, Sense, Stroke, Ui, Vec2};
use egui_plot::{GridMark, Legend, Line, LineStyle, Plot, PlotPoints};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;

/// Most points drawn per curve (the chain's grid is finer than any plot is wide).
pub const MAX_PLOT_POINTS: usize = 600;

/// A curve as the plot drew it: log10(frequency) and dB.
#[derive(Debug, Clone, PartialEq)]
pub struct PlottedCurve {
    /// Legend name.
    pub name: String,
    /// What it shows.
    pub role: Role,
    /// `[log10(f / Hz), dB]`.
    pub points: Vec<[f64; 2]>,
}

impl PlottedCurve {
    /// The plotted level nearest to `freq_hz`.
    pub fn db_at(&self, freq_hz: f64) -> Option<f64> {
        let x = freq_hz.log10();
        self.points
            .iter()
            .min_by(|a, b| (a[0] - x).abs().total_cmp(&(b[0] - x).abs()))
            .map(|p| p[1])
    }
}

/// A coloured strip across the editor with a message the user must not miss.
pub fn banner(ui: &mut Ui, color: Color32, text: &str) {
    egui::Frame::new()
        .fill(color.gamma_multiply(0.25))
        .stroke(Stroke::new(1.5, color))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(text).color(Color32::WHITE).size(14.0));
        });
    ui.add_space(4.0);
}

/// A small heading above a group of controls.
pub fn section(ui: &mut Ui, title: &str) {
    ui.add_space(6.0);
    ui.label(RichText::new(title).strong().color(Color32::from_gray(200)));
}

/// One grid row: the label, then a slider over the parameter's range showing the parameter's
/// own text; drags are one gesture, a double-click returns to the default.
pub fn param_slider(ui: &mut Ui, gui: &GuiContext, param: &FloatParam, label: &str) {
    let setter = gui.param_setter();
    let label_response = ui.label(label);
    let lo = param.preview_plain(0.0);
    let hi = param.preview_plain(1.0);
    let mut value = param.unmodulated_plain_value();
    let response = ui
        .add(
            egui::Slider::new(&mut value, lo..=hi)
                .custom_formatter(|x, _| {
                    param.normalized_value_to_string(param.preview_normalized(x as f32), true)
                })
                .custom_parser(|s| {
                    param
                        .string_to_normalized_value(s)
                        .map(|n| f64::from(param.preview_plain(n)))
                }),
        )
        .labelled_by(label_response.id)
        .on_hover_text("Double-click to reset");
    if response.drag_started() {
        setter.begin_set_parameter(param);
    }
    if response.double_clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, param.default_plain_value());
        setter.end_set_parameter(param);
    } else if response.changed() {
        if response.dragged() {
            setter.set_parameter(param, value);
        } else {
            // Keyboard, typed value or an accessibility action: a gesture of its own.
            setter.begin_set_parameter(param);
            setter.set_parameter(param, value);
            setter.end_set_parameter(param);
        }
    }
    if response.drag_stopped() {
        setter.end_set_parameter(param);
    }
    ui.end_row();
}

/// A menu over an enum parameter's variants, labelled `label`; a pick is one host gesture.
pub fn param_menu<T: Enum + PartialEq + 'static>(
    ui: &mut Ui,
    gui: &GuiContext,
    param: &EnumParam<T>,
    label: &str,
) -> egui::Response {
    let current = param.value();
    let names = T::variants();
    let selected = names
        .get(param.value().to_index())
        .copied()
        .unwrap_or_default();
    egui::ComboBox::new(label, label)
        .width(200.0)
        .selected_text(selected)
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                let choice = T::from_index(i);
                if ui.selectable_label(current == choice, *name).clicked() {
                    super::app::set_param(gui, param, choice);
                }
            }
        })
        .response
}

/// A latching button for an on/off parameter: lit when on, framed when off.
pub fn param_toggle(ui: &mut Ui, gui: &GuiContext, param: &BoolParam, label: &str) {
    let on = param.value();
    let button = egui::Button::selectable(
        on,
        RichText::new(label).strong().color(if on {
            Color32::BLACK
        } else {
            Color32::from_gray(220)
        }),
    )
    .fill(if on {
        colors::TARGET
    } else {
        Color32::from_gray(48)
    })
    .stroke(Stroke::new(1.0, Color32::from_gray(90)))
    .frame(true);
    if ui.add(button).clicked() {
        super::app::set_param(gui, param, !on);
    }
}

/// A Reference / slot button: the slot number above what it holds (one line, cut with "…";
/// a parenthesised remark is left to the tooltip). Its accessible name is
/// [`super::app::listen_label`].
pub fn listen_button(
    ui: &mut Ui,
    size: [f32; 2],
    position: usize,
    name: Option<&str>,
    active: bool,
) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(Vec2::from(size), Sense::click());
    let label = super::app::listen_label(position, name);
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, active, &label));
    if ui.is_rect_visible(rect) {
        let hovered = response.hovered();
        let (fill, text) = if active {
            (colors::ACTIVE, Color32::BLACK)
        } else if hovered {
            (Color32::from_gray(70), Color32::WHITE)
        } else {
            (Color32::from_gray(48), Color32::from_gray(225))
        };
        let painter = ui.painter();
        painter.rect(
            rect,
            4.0,
            fill,
            Stroke::new(
                1.0,
                if active {
                    colors::ACTIVE
                } else {
                    Color32::from_gray(90)
                },
            ),
            egui::StrokeKind::Inside,
        );
        let inner = rect.shrink2(Vec2::new(8.0, 6.0));
        let mut lines = label.lines();
        let first = lines.next().unwrap_or_default();
        let second = lines.next();
        let fit = |text_str: &str, size: f32| {
            let mut job = egui::text::LayoutJob::single_section(
                text_str.to_string(),
                egui::TextFormat {
                    font_id: egui::FontId::proportional(size),
                    color: text,
                    ..Default::default()
                },
            );
            job.wrap = egui::text::TextWrapping::truncate_at_width(inner.width());
            ui.fonts_mut(|f| f.layout_job(job))
        };
        match second {
            None => {
                let galley = fit(first, 17.0);
                let pos = rect.center() - galley.size() / 2.0;
                painter.galley(pos, galley, text);
            }
            Some(second) => {
                let top = fit(first, 12.0);
                let bottom = fit(second, 14.0);
                painter.galley(inner.left_top(), top, text);
                painter.galley(
                    egui::pos2(inner.left(), inner.bottom() - bottom.size().y),
                    bottom,
                    text,
                );
            }
        }
    }
    response
}

fn style(role: Role) -> (Color32, f32) {
    match role {
        Role::Measurement => (colors::MEASUREMENT, 1.5),
        Role::Target => (colors::TARGET, 2.0),
        Role::Correction => (colors::CORRECTION, 1.5),
        Role::Result | Role::Chain | Role::Simulation => (colors::ACTIVE, 2.5),
    }
}

/// The frequency-response plot: 20 Hz – 20 kHz on a log axis labelled 20, 50, 100 … 20k, and
/// dB. Returns what it drew.
pub fn curve_plot(ui: &mut Ui, curves: &[NamedCurve]) -> Vec<PlottedCurve> {
    let (lo_hz, hi_hz) = FREQUENCY_RANGE_HZ;
    let (min_db, max_db) = if curves.is_empty() {
        (-12.0, 12.0)
    } else {
        db_range(curves.iter().map(|c| &c.curve))
    };
    let plotted: Vec<PlottedCurve> = curves
        .iter()
        .map(|c| PlottedCurve {
            name: c.name.clone(),
            role: c.role,
            points: decimate(c, lo_hz, hi_hz),
        })
        .collect();
    let y_ticks = db_ticks(min_db, max_db);
    let y_step = match y_ticks.as_slice() {
        [a, b, ..] => b - a,
        _ => 6.0,
    };
    let height = (ui.available_height() - 4.0).max(120.0);
    Plot::new("response")
        .height(height)
        .legend(
            Legend::default()
                .position(egui_plot::Corner::LeftTop)
                .follow_insertion_order(true),
        )
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_grid(true)
        // A little room beyond 20 Hz – 20 kHz so the end labels are not clipped.
        .default_x_bounds(lo_hz.log10() - 0.03, hi_hz.log10() + 0.03)
        .default_y_bounds(min_db, max_db)
        .x_grid_spacer(|input| {
            FREQUENCY_TICKS_HZ
                .iter()
                .filter(|f| (input.bounds.0..=input.bounds.1).contains(&f.log10()))
                .map(|&f| GridMark {
                    value: f.log10(),
                    step_size: 1.0,
                })
                .collect()
        })
        .y_grid_spacer(move |input| {
            y_ticks
                .iter()
                .filter(|v| (input.bounds.0..=input.bounds.1).contains(*v))
                .map(|&v| GridMark {
                    value: v,
                    step_size: y_step,
                })
                .collect()
        })
        .x_axis_formatter(|mark, _| crate::plot::frequency_label(10f64.powf(mark.value)))
        .y_axis_formatter(|mark, _| format_db(mark.value))
        .x_axis_label("Frequency")
        .y_axis_label("Level (dB)")
        .label_formatter(|hover| {
            let (name, point) = match hover {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, *position),
                egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
            };
            let text = format!("{}, {}", format_hz(10f64.powf(point.x)), format_db(point.y));
            if name.is_empty() {
                Some(text)
            } else {
                Some(format!("{name}\n{text}"))
            }
        })
        .show(ui, |plot_ui| {
            for c in &plotted {
                let (color, width) = style(c.role);
                let right = c.name.ends_with(" R");
                let mut line = Line::new(c.name.clone(), PlotPoints::from(c.points.clone()))
                    .color(color)
                    .width(width);
                if right {
                    line = line.style(LineStyle::dashed_loose());
                }
                plot_ui.line(line);
            }
        });
    plotted
}

/// At most [`MAX_PLOT_POINTS`] points of `curve` between `lo_hz` and `hi_hz`, evenly spaced
/// in log frequency.
fn decimate(curve: &NamedCurve, lo_hz: f64, hi_hz: f64) -> Vec<[f64; 2]> {
    let n = MAX_PLOT_POINTS;
    let (a, b) = (lo_hz.log10(), hi_hz.log10());
    (0..n)
        .map(|i| {
            let x = a + (b - a) * i as f64 / (n - 1) as f64;
            [x, curve.curve.gain_at(10f64.powf(x))]
        })
        .collect()
}

/// A stereo peak meter with its label, a dB scale, the held peak and a clip lamp that a click
/// turns off.
pub fn meter(ui: &mut Ui, label: &str, bars: &[Ballistics; 2], source: &PeakMeter) {
    ui.vertical(|ui| {
        ui.label(RichText::new(label).strong());
        let clipped = source.clipped();
        let lamp = egui::Button::new(RichText::new("CLIP").size(11.0).color(if clipped {
            Color32::WHITE
        } else {
            Color32::from_gray(90)
        }))
        .fill(if clipped {
            colors::ERROR
        } else {
            Color32::from_gray(35)
        })
        .min_size(Vec2::new(52.0, 18.0));
        if ui
            .add(lamp)
            .on_hover_text("Lit when a sample reached 0 dBFS; click to clear")
            .clicked()
        {
            source.clear_clip();
        }
        let height = (ui.available_height() - 24.0).clamp(80.0, 600.0);
        let (outer, _) = ui.allocate_exact_size(Vec2::new(52.0, height), Sense::hover());
        // The scale's numbers sit in a gutter left of the bars.
        let rect =
            egui::Rect::from_min_max(egui::pos2(outer.left() + 18.0, outer.top()), outer.max);
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_gray(20));
        let top_db = 6.0f32;
        let y_of = |db: f32| {
            let t = ((db - METER_FLOOR_DB) / (top_db - METER_FLOOR_DB)).clamp(0.0, 1.0);
            rect.bottom() - t * rect.height()
        };
        let bar_w = (rect.width() - 6.0) / 2.0;
        for (i, b) in bars.iter().enumerate() {
            let x0 = rect.left() + 2.0 + i as f32 * (bar_w + 2.0);
            let bar = egui::Rect::from_min_max(
                egui::pos2(x0, y_of(b.level_db)),
                egui::pos2(x0 + bar_w, rect.bottom()),
            );
            let color = if b.level_db >= 0.0 {
                colors::ERROR
            } else if b.level_db >= -6.0 {
                colors::ACTIVE
            } else {
                colors::CORRECTION
            };
            painter.rect_filled(bar, 0.0, color);
            let y = y_of(b.hold_db);
            painter.line_segment(
                [egui::pos2(x0, y), egui::pos2(x0 + bar_w, y)],
                Stroke::new(2.0, Color32::WHITE),
            );
        }
        for db in [0.0f32, -6.0, -12.0, -24.0, -48.0] {
            let y = y_of(db);
            painter.line_segment(
                [egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)],
                Stroke::new(1.0, Color32::from_gray(70)),
            );
            ui.painter().text(
                egui::pos2(rect.left() - 3.0, y),
                egui::Align2::RIGHT_CENTER,
                format!("{db:.0}"),
                egui::FontId::proportional(10.0),
                Color32::from_gray(150),
            );
        }
        let peak = bars[0].hold_db.max(bars[1].hold_db);
        ui.label(
            RichText::new(if peak <= METER_FLOOR_DB {
                "−∞".to_string()
            } else {
                format_db(f64::from(peak))
            })
            .monospace(),
        );
    });
}
