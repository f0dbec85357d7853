//! The editor's contents: the Reference | Slot 1…8 row, slot assignment, headphone import,
//! target and knobs, engine and latency, meters, banners and the plot. Plain egui drawing into
//! any `Ui`, so the tests drive it with `egui_kittest` exactly as the plugin window shows it.

use super::widgets::{self, PlottedCurve};
use super::{EditorShared, curves::CurveKey, curves::CurveWorker};
use crate::chain::Listen;
use crate::design::{FilterMode, Layout};
use crate::headphones::{HeadphoneEntry, HeadphoneLibrary};
use crate::io::ImportOptions;
use crate::meters::Ballistics;
use crate::params::ListenChoice;
use crate::rig::{ResolutionKind, Rig};
use crate::source::Headphone;
use crate::state::{OfflineRender, SlotContent};
use egui::{Color32, RichText, Ui};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where an imported headphone goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportDestination {
    /// The user's own headphone (the one corrected).
    Headphone,
    /// "Listen through another headphone" in slot `k` (0-based).
    Slot(usize),
}

/// How a file dialog ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutcome {
    /// The user picked this file.
    Picked(PathBuf),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could open (no portal on this desktop, or the thread failed).
    Unavailable,
}

impl DialogOutcome {
    /// A dialog that returns nothing faster than a person can press Cancel never opened:
    /// rfd reports both the same way.
    pub const FASTEST_CANCEL: Duration = Duration::from_millis(250);

    /// Reads rfd's answer and how long the dialog was up.
    pub fn from_pick(picked: Option<PathBuf>, open_for: Duration) -> Self {
        match picked {
            Some(path) => Self::Picked(path),
            None if open_for < Self::FASTEST_CANCEL => Self::Unavailable,
            None => Self::Cancelled,
        }
    }
}

/// A line of feedback under the import controls.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// What to say.
    pub text: String,
    /// Shown in red when true.
    pub error: bool,
}

/// Colours: high contrast on a dark background, one accent for "this is what you hear".
pub mod colors {
    use egui::Color32;
    /// The active listen button and the heard curve.
    pub const ACTIVE: Color32 = Color32::from_rgb(255, 196, 0);
    /// The headphone measurement.
    pub const MEASUREMENT: Color32 = Color32::from_rgb(235, 120, 80);
    /// The reference target.
    pub const TARGET: Color32 = Color32::from_rgb(110, 170, 255);
    /// The correction.
    pub const CORRECTION: Color32 = Color32::from_rgb(120, 215, 130);
    /// Errors.
    pub const ERROR: Color32 = Color32::from_rgb(255, 95, 95);
    /// Warnings (offline pass-through).
    pub const WARNING: Color32 = Color32::from_rgb(255, 170, 60);
}

/// The editor's state between frames (nothing here is read by the audio thread).
pub struct EditorApp {
    shared: EditorShared,
    curves: CurveWorker,
    /// The path field (the fallback when no file dialog can open).
    pub path_text: String,
    /// The built-in headphone library and the text its picker searches for.
    headphones: HeadphoneLibrary,
    /// What the library picker's search field holds.
    pub library_filter: String,
    /// What the slot row's library picker's search field holds.
    pub slot_library_filter: String,
    /// The last import's outcome.
    pub message: Option<Message>,
    dialog: Option<(mpsc::Receiver<DialogOutcome>, ImportDestination)>,
    /// The slot the assignment row edits (0-based).
    pub slot_edit: usize,
    ballistics: [[Ballistics; 2]; 2],
    last_frame: Option<Instant>,
    /// What the plot drew on the last frame (the tests read it).
    pub plotted: Vec<PlottedCurve>,
    /// Repaint about 30 times a second for the meters (off in tests).
    pub animate: bool,
}

impl EditorApp {
    /// A fresh editor over the plugin's shared objects; starts the curve worker.
    pub fn new(shared: EditorShared) -> Self {
        let curves = CurveWorker::spawn(shared.library.clone());
        Self {
            shared,
            curves,
            path_text: String::new(),
            headphones: HeadphoneLibrary::builtin(),
            library_filter: String::new(),
            slot_library_filter: String::new(),
            message: None,
            dialog: None,
            slot_edit: 0,
            ballistics: Default::default(),
            last_frame: None,
            plotted: Vec::new(),
            animate: true,
        }
    }

    /// The curve worker (tests wait on it).
    pub fn curve_worker(&self) -> &CurveWorker {
        &self.curves
    }

    /// Draws the whole editor into `ui`; parameter changes go through `gui` (so the host
    /// records them as automation gestures).
    pub fn ui(&mut self, ui: &mut Ui, gui: &GuiContext) {
        if self.animate {
            ui.ctx().request_repaint_after(Duration::from_millis(33));
        }
        self.poll_dialog();
        self.request_curves();
        let listen = self.shared.params.listen.value();
        if listen != ListenChoice::Reference {
            self.slot_edit = listen.index() - 1;
        }

        egui::Panel::top("top")
            .resizable(false)
            .show_separator_line(true)
            .show(ui, |ui| {
                self.banners(ui);
                self.headphone_row(ui);
                ui.add_space(6.0);
                self.listen_row(ui, gui, listen);
                ui.add_space(4.0);
                self.slot_row(ui);
                ui.add_space(4.0);
            });
        egui::Panel::left("controls")
            .resizable(false)
            .exact_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("controls")
                    .show(ui, |ui| self.controls(ui, gui));
            });
        egui::Panel::right("meters")
            .resizable(false)
            .exact_size(124.0)
            .show(ui, |ui| self.meters(ui));
        egui::CentralPanel::default().show(ui, |ui| self.plot(ui, listen));
    }

    fn request_curves(&mut self) {
        let params = &self.shared.params;
        let key = CurveKey {
            settings: {
                let mut s = params.design_settings();
                // The engine does not change the curves: one mode for every key.
                s.mode = FilterMode::ZeroLatency;
                s
            },
            state_generation: params.state.generation(),
        };
        self.curves
            .request(key, || (params.state.headphone(), params.state.slots()));
    }

    fn banners(&mut self, ui: &mut Ui) {
        let status = &self.shared.status;
        if status.offline_pass_through() {
            widgets::banner(
                ui,
                colors::WARNING,
                "Offline render: Refcan passes the audio through untouched, so no correction \
                 or simulation is printed into the bounce. Tick \"Process offline renders\" to \
                 print it on purpose.",
            );
        }
        if let Some(e) = self.shared.params.state.last_error() {
            widgets::banner(
                ui,
                colors::ERROR,
                &format!(
                    "The saved state was refused in part: {e}. What could be read was kept, the \
                     rest is at its defaults, and the original document is kept in the project."
                ),
            );
        }
        if let Some(r) = self.curves.latest()
            && let Err(e) = &r.curves
        {
            widgets::banner(ui, colors::ERROR, &format!("No correction plays: {e}"));
        }
    }

    fn headphone_row(&mut self, ui: &mut Ui) {
        let params = self.shared.params.clone();
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("REFCAN")
                    .strong()
                    .size(20.0)
                    .color(colors::ACTIVE),
            );
            ui.add_space(12.0);
            match params.state.headphone() {
                Some(h) => {
                    ui.label(RichText::new("Headphone:").strong());
                    ui.label(RichText::new(&h.name).strong().color(Color32::WHITE))
                        .on_hover_text(format!("imported from {}", h.source_file));
                }
                None => {
                    ui.label(
                        RichText::new("No headphone: import its measurement to correct it")
                            .color(colors::WARNING),
                    );
                }
            }
            if ui
                .button("Import headphone…")
                .on_hover_text("Pick a measurement (AutoEq CSV, REW, ARTA, …) or an EQ file")
                .clicked()
            {
                self.open_dialog(ImportDestination::Headphone);
            }
            let library_label = ui.label("or pick:");
            let picked = library_picker(
                ui,
                "headphone_library",
                &mut self.library_filter,
                &self.headphones,
                library_label.id,
                "Pick your headphone from the built-in library",
            );
            if let Some(entry) = picked {
                self.install_from_library(&entry);
            }
            if params.state.headphone().is_some() && ui.button("Remove").clicked() {
                let mut state = params.state.get();
                state.headphone = None;
                params.state.replace(state);
                self.message = Some(Message {
                    text: "Headphone removed: the reference plays uncorrected.".into(),
                    error: false,
                });
            }
        });
        ui.horizontal(|ui| {
            ui.label("File:");
            ui.add(
                egui::TextEdit::singleline(&mut self.path_text)
                    .hint_text("or type the path of a measurement here")
                    .desired_width(420.0),
            );
            let path = PathBuf::from(self.path_text.trim());
            let has_path = !self.path_text.trim().is_empty();
            if ui
                .add_enabled(has_path, egui::Button::new("Load as headphone"))
                .clicked()
            {
                self.import(&path, ImportDestination::Headphone);
            }
            let slot = self.slot_edit;
            if ui
                .add_enabled(
                    has_path,
                    egui::Button::new(format!("Load into slot {}", slot + 1)),
                )
                .clicked()
            {
                self.import(&path, ImportDestination::Slot(slot));
            }
        });
        if let Some(m) = &self.message {
            let color = if m.error {
                colors::ERROR
            } else {
                colors::CORRECTION
            };
            ui.add(egui::Label::new(RichText::new(&m.text).color(color)).wrap());
        }
    }

    /// The A/B row: Reference | Slot 1 … 8, labelled with what each slot holds.
    fn listen_row(&mut self, ui: &mut Ui, gui: &GuiContext, listen: ListenChoice) {
        let slots = self.shared.params.state.slots();
        let count = 1 + slots.len();
        let spacing = ui.spacing().item_spacing.x;
        let width = ((ui.available_width() - spacing * (count as f32 - 1.0)) / count as f32)
            .clamp(80.0, 200.0);
        ui.horizontal(|ui| {
            for position in 0..count {
                let Some(choice) = ListenChoice::from_position(position) else {
                    continue;
                };
                let name = match position {
                    0 => None,
                    k => Some(slots[k - 1].name()),
                };
                let active = choice == listen;
                let response = widgets::listen_button(ui, [width, 56.0], position, name, active)
                    .on_hover_text(match name {
                        None => "Your headphone corrected to the reference target".to_string(),
                        Some(n) => format!("Slot {position}: {n}"),
                    });
                if response.clicked() && !active {
                    set_param(gui, &self.shared.params.listen, choice);
                }
            }
        });
    }

    /// Which slot holds what: a built-in simulation or another headphone from a file.
    fn slot_row(&mut self, ui: &mut Ui) {
        let params = &self.shared.params;
        let slots = params.state.slots();
        ui.horizontal(|ui| {
            let slot_label = ui.label("Slot");
            egui::ComboBox::from_id_salt("slot_edit")
                .width(48.0)
                .selected_text(format!("{}", self.slot_edit + 1))
                .show_ui(ui, |ui| {
                    for k in 0..slots.len() {
                        ui.selectable_value(&mut self.slot_edit, k, format!("{}", k + 1));
                    }
                })
                .response
                .labelled_by(slot_label.id);
            let holds = ui.label("holds");
            let current = slots.get(self.slot_edit);
            let current_name = current.map_or("—", |s| s.name()).to_string();
            let mut chosen: Option<SlotContent> = None;
            egui::ComboBox::from_id_salt("slot_content")
                .width(300.0)
                .selected_text(current_name)
                .show_ui(ui, |ui| {
                    for sim in &self.shared.library.simulations {
                        let selected = matches!(current,
                            Some(SlotContent::Simulation { id, .. }) if *id == sim.id);
                        let text = if sim.category.is_empty() {
                            sim.name.clone()
                        } else {
                            format!("{} ({})", sim.name, sim.category)
                        };
                        if ui.selectable_label(selected, text).clicked() {
                            chosen = Some(SlotContent::Simulation {
                                id: sim.id.clone(),
                                name: sim.name.clone(),
                                simulation: sim.simulation(),
                            });
                        }
                    }
                })
                .response
                .labelled_by(holds.id);
            if let Some(content) = chosen {
                self.assign_slot(self.slot_edit, content);
            }
            if ui
                .button("Another headphone from file…")
                .on_hover_text("Hear your mix as on another headphone (its measurement)")
                .clicked()
            {
                self.open_dialog(ImportDestination::Slot(self.slot_edit));
            }
            let or_label = ui.label("or:");
            let picked = library_picker(
                ui,
                "slot_library",
                &mut self.slot_library_filter,
                &self.headphones,
                or_label.id,
                "Hear your mix as on a headphone of the built-in library",
            );
            if let Some(entry) = picked {
                let k = self.slot_edit;
                self.assign_slot(
                    k,
                    SlotContent::OtherHeadphone {
                        headphone: entry.to_headphone(),
                    },
                );
                self.message = Some(Message {
                    text: format!("Slot {} plays {} (library).", k + 1, entry.name),
                    error: false,
                });
            }
        });
    }

    fn controls(&mut self, ui: &mut Ui, gui: &GuiContext) {
        let params = self.shared.params.clone();
        ui.add_space(4.0);
        widgets::param_menu(ui, gui, &params.target, "Target");
        self.rig_row(ui);
        egui::Grid::new("knobs")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                widgets::param_slider(ui, gui, &params.room_gain, "Room gain");
                widgets::param_slider(ui, gui, &params.pinna_gain, "Pinna gain");
                widgets::param_slider(ui, gui, &params.tilt, "Tilt");
                widgets::param_slider(ui, gui, &params.treble, "Treble");
            });

        widgets::section(ui, "Correction");
        ui.horizontal(|ui| {
            widgets::param_toggle(ui, gui, &params.correct, "Correct");
            widgets::param_toggle(ui, gui, &params.level_match, "Level match");
            widgets::param_toggle(ui, gui, &params.mono, "Mono");
        });
        egui::Grid::new("amount")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                widgets::param_slider(ui, gui, &params.amount, "Amount");
            });

        ui.add_space(8.0);
        widgets::param_menu(ui, gui, &params.crossfeed, "Crossfeed").on_hover_text(
            "A speaker-like image: each ear hears the other channel low-passed (after \
             Bauer's bs2b). Mono stays untouched.",
        );
        ui.add_space(8.0);
        widgets::param_menu(ui, gui, &params.filter_mode, "Engine");
        ui.label(self.latency_text());

        widgets::section(ui, "Output");
        egui::Grid::new("output")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                widgets::param_slider(ui, gui, &params.output_gain, "Output gain");
            });
        ui.horizontal(|ui| {
            widgets::param_toggle(ui, gui, &params.bypass, "Bypass");
            let mut process = params.state.offline_render() == OfflineRender::Process;
            if ui
                .checkbox(&mut process, "Process offline renders")
                .on_hover_text(
                    "Off (default): bounces and exports pass through untouched. On: the \
                     correction or simulation is printed into the bounce.",
                )
                .changed()
            {
                let mut state = params.state.get();
                state.offline_render = if process {
                    OfflineRender::Process
                } else {
                    OfflineRender::Bypass
                };
                params.state.replace(state);
            }
        });
    }

    /// "Latency: …" for the chosen engine at the host's rate, and whether the host still has
    /// to restart the plugin to apply it.
    pub fn latency_text(&self) -> String {
        let status = &self.shared.status;
        let mode: FilterMode = self.shared.params.filter_mode.value().into();
        let Some(fs) = status.sample_rate_hz() else {
            return match mode {
                FilterMode::LinearPhase => "Latency: set when the host starts the plugin".into(),
                _ => "Latency: none".into(),
            };
        };
        let samples = Layout::new(0, f64::from(fs), 1).latency_samples(mode);
        let mut text = if samples == 0 {
            "Latency: none".to_string()
        } else {
            format!(
                "Latency: {samples} samples ({:.1} ms)",
                samples as f64 * 1000.0 / f64::from(fs)
            )
        };
        if samples != status.latency_samples() as usize {
            text.push_str(" after the host restarts the plugin");
        }
        text
    }

    fn plot(&mut self, ui: &mut Ui, listen: ListenChoice) {
        let listen = match listen.index() {
            0 => Listen::Reference,
            k => Listen::Slot(k - 1),
        };
        let curves = self.curves.latest().and_then(|r| r.curves.ok());
        let named = curves
            .map(|c| crate::plot::listen_curves(&c, listen))
            .unwrap_or_default();
        self.plotted = widgets::curve_plot(ui, &named);
    }

    fn meters(&mut self, ui: &mut Ui) {
        let now = Instant::now();
        let dt = self
            .last_frame
            .map_or(0.0, |t| now.duration_since(t).as_secs_f32());
        self.last_frame = Some(now);
        let meters = &self.shared.status.meters;
        let input = meters.input.take();
        let output = meters.output.take();
        for (b, p) in self.ballistics[0].iter_mut().zip(input) {
            b.update(p, dt);
        }
        for (b, p) in self.ballistics[1].iter_mut().zip(output) {
            b.update(p, dt);
        }
        ui.horizontal_top(|ui| {
            widgets::meter(ui, "In", &self.ballistics[0], &meters.input);
            widgets::meter(ui, "Out", &self.ballistics[1], &meters.output);
        });
    }

    fn open_dialog(&mut self, destination: ImportDestination) {
        let (tx, rx) = mpsc::channel();
        // The dialog blocks its thread until the user picks; never the GUI or audio thread.
        let spawned = std::thread::Builder::new()
            .name("refcan-file-dialog".into())
            .spawn(move || {
                let opened = Instant::now();
                let picked = rfd::FileDialog::new()
                    .set_title("Import a headphone measurement")
                    .add_filter("Measurements and EQ", &["csv", "txt", "json", "frd"])
                    .add_filter("All files", &["*"])
                    .pick_file();
                let _ = tx.send(DialogOutcome::from_pick(picked, opened.elapsed()));
            });
        match spawned {
            Ok(_) => self.dialog = Some((rx, destination)),
            Err(e) => {
                self.message = Some(Message {
                    text: format!("No file dialog ({e}): type the path in the field instead."),
                    error: true,
                })
            }
        }
    }

    fn poll_dialog(&mut self) {
        let Some((rx, destination)) = &self.dialog else {
            return;
        };
        let destination = *destination;
        let outcome = match rx.try_recv() {
            Ok(outcome) => outcome,
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => DialogOutcome::Unavailable,
        };
        self.dialog = None;
        match outcome {
            DialogOutcome::Picked(path) => {
                self.path_text = path.display().to_string();
                self.import(&path, destination);
            }
            DialogOutcome::Cancelled => {}
            DialogOutcome::Unavailable => {
                self.message = Some(Message {
                    text: "No file dialog could open here (no desktop portal?): type the \
                           path in the field and press Load."
                        .into(),
                    error: true,
                });
            }
        }
    }

    /// Imports `path` into `destination`. On any error the message says why (file, line,
    /// what was expected) and the state is left as it was.
    pub fn import(&mut self, path: &Path, destination: ImportDestination) {
        let params = &self.shared.params;
        let headphone = match Headphone::import(path, &ImportOptions::default()) {
            Ok(h) => h,
            Err(e) => {
                self.message = Some(Message {
                    text: format!("Not imported: {e}"),
                    error: true,
                });
                return;
            }
        };
        let name = headphone.name.clone();
        let mut state = params.state.get();
        match destination {
            ImportDestination::Headphone => state.headphone = Some(headphone),
            ImportDestination::Slot(k) => {
                let Some(slot) = state.slots.get_mut(k) else {
                    return;
                };
                *slot = SlotContent::OtherHeadphone { headphone };
            }
        }
        if let Err(e) = state.validate() {
            self.message = Some(Message {
                text: format!("Not imported: {}: {e}", path.display()),
                error: true,
            });
            return;
        }
        params.state.replace(state);
        self.message = Some(Message {
            text: match destination {
                ImportDestination::Headphone => format!("Corrected for {name}."),
                ImportDestination::Slot(k) => format!("Slot {} plays {name}.", k + 1),
            },
            error: false,
        });
    }

    /// Installs a library headphone as the user's headphone (stored as data, like an import).
    pub fn install_from_library(&mut self, entry: &HeadphoneEntry) {
        let params = &self.shared.params;
        let mut state = params.state.get();
        state.headphone = Some(entry.to_headphone());
        if let Err(e) = state.validate() {
            self.message = Some(Message {
                text: format!("Not installed: {}: {e}", entry.name),
                error: true,
            });
            return;
        }
        params.state.replace(state);
        self.message = Some(Message {
            text: format!(
                "Corrected for {} (library; measured by {} on {}).",
                entry.name, entry.source.author, entry.rig
            ),
            error: false,
        });
    }

    /// The rig the headphone was measured on (editable; library entries know theirs) and
    /// which target that makes the chain use ([`crate::rig::resolve_target`]).
    fn rig_row(&mut self, ui: &mut Ui) {
        let params = self.shared.params.clone();
        let headphone = params.state.headphone();
        let rig = headphone.as_ref().and_then(|h| h.rig);
        if let Some(h) = &headphone {
            let mut chosen = rig;
            ui.horizontal(|ui| {
                let label = ui.label("Measured on");
                egui::ComboBox::from_id_salt("headphone_rig")
                    .width(170.0)
                    .selected_text(rig.map_or("unknown rig", |r| r.label()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut chosen, None, "unknown rig");
                        for r in Rig::ALL {
                            ui.selectable_value(&mut chosen, Some(r), r.label());
                        }
                    })
                    .response
                    .on_hover_text(
                        "The rig the measurement comes from: the target is then the one \
                         published for that rig where one exists",
                    )
                    .labelled_by(label.id);
            });
            if chosen != rig {
                let mut state = params.state.get();
                if let Some(stored) = state.headphone.as_mut() {
                    stored.rig = chosen;
                    params.state.replace(state);
                }
                self.message = Some(Message {
                    text: format!(
                        "{} measured on: {}.",
                        h.name,
                        chosen.map_or("unknown rig", |r| r.label())
                    ),
                    error: false,
                });
            }
        }
        let chosen_id = params.target.value().preset_id();
        let library = &self.shared.library;
        if let (Some(r), Some(t)) = (
            crate::rig::resolve_target(library, chosen_id, rig),
            library.target(chosen_id),
        ) {
            let warn = matches!(r.kind, ResolutionKind::Mismatch { .. });
            let text = RichText::new(r.describe(&t.name)).small();
            ui.add(egui::Label::new(if warn {
                text.color(colors::WARNING)
            } else {
                text
            }))
            .on_hover_text(t.rig.clone().unwrap_or_default());
        }
    }

    fn assign_slot(&mut self, k: usize, content: SlotContent) {
        let params = &self.shared.params;
        let mut state = params.state.get();
        if let Some(slot) = state.slots.get_mut(k) {
            *slot = content;
            params.state.replace(state);
        }
    }
}

/// A searchable menu of the built-in headphone library; the entry clicked, if any.
fn library_picker(
    ui: &mut Ui,
    id_salt: &str,
    filter: &mut String,
    library: &HeadphoneLibrary,
    label: egui::Id,
    hover: &str,
) -> Option<HeadphoneEntry> {
    let mut picked = None;
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(format!("Library ({})…", library.entries().len()))
        .width(150.0)
        .height(420.0)
        .show_ui(ui, |ui| {
            ui.horizontal(|ui| {
                let search = ui.label("Search:");
                ui.add(
                    egui::TextEdit::singleline(filter)
                        .hint_text("brand, model")
                        .desired_width(220.0),
                )
                .labelled_by(search.id);
            });
            for entry in library.search(filter.trim()) {
                let text = format!("{} ({})", entry.name, entry.form.name().replace('_', "-"));
                if ui
                    .selectable_label(false, text)
                    .on_hover_text(format!(
                        "{}\nrig: {}\nstored within {:.2} dB RMS of the source",
                        entry.source_line(),
                        entry.rig,
                        entry.fit_rms_db
                    ))
                    .clicked()
                {
                    picked = Some(entry.clone());
                }
            }
        })
        .response
        .on_hover_text(hover)
        .labelled_by(label);
    picked
}

/// A listen button's text: "Reference", or the slot number over what the slot holds.
/// A parenthesised remark at the end of a name ("Phone speaker (mono)") is left to the
/// tooltip, so every button keeps to two lines.
pub fn listen_label(position: usize, name: Option<&str>) -> String {
    match name {
        None => "Reference".to_string(),
        Some(n) => {
            let short = match n.find(" (") {
                Some(i) if n.ends_with(')') && i > 0 => &n[..i],
                _ => n,
            };
            format!("{position}\n{short}")
        }
    }
}

/// One complete gesture (begin, set, end): the host records a single automation point.
pub fn set_param<P: Param>(gui: &GuiContext, param: &P, value: P::Plain) {
    let setter = gui.param_setter();
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}
