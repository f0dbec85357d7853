//! The plugin's editor (nice-plug-egui): a thin shell over [`app::EditorApp`], which draws
//! everything, and [`curves::CurveWorker`], which computes the plotted curves off the GUI
//! thread. The editor reads parameters, the shared state and the audio thread's published
//! status (atomics); it changes parameters through the host's gesture calls and the state
//! document through [`crate::state::SharedState`]. The background designer turns both into
//! filters: the editor never designs one.

pub mod app;
pub mod curves;
pub mod widgets;

#[cfg(test)]
mod tests;

use crate::RenderStatus;
use crate::params::RefcanParams;
use crate::presets::PresetLibrary;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{Editor, ParentWindowHandle, ResizeHint, SpawnedEditor};
use nice_plug::params::persist::PersistentField;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{
    EguiEditorHandle, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
    create_egui_editor,
};
use serde::{Deserialize, Serialize};
use std::error::Error;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// The editor's default size, logical pixels.
pub const DEFAULT_SIZE: (u32, u32) = (1180, 720);
/// The smallest size the editor can be resized to, logical pixels.
pub const MIN_SIZE: (u32, u32) = (900, 560);
/// The largest size kept from a saved state, logical pixels.
pub const MAX_SIZE: (u32, u32) = (4000, 3000);

/// What the editor shares with the plugin.
#[derive(Clone)]
pub struct EditorShared {
    /// Parameters and the state document.
    pub params: Arc<RefcanParams>,
    /// What the audio thread publishes (meters, offline pass-through, latency).
    pub status: Arc<RenderStatus>,
    /// Targets and simulations.
    pub library: Arc<PresetLibrary>,
}

/// The editor's size as saved in the project (`editor-size`), logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSize {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The editor's size, kept in the plugin state so a project reopens its window as it was.
#[derive(Debug)]
pub struct EditorSize {
    width: AtomicU32,
    height: AtomicU32,
}

impl Default for EditorSize {
    fn default() -> Self {
        Self {
            width: AtomicU32::new(DEFAULT_SIZE.0),
            height: AtomicU32::new(DEFAULT_SIZE.1),
        }
    }
}

impl EditorSize {
    /// The size, logical pixels.
    pub fn get(&self) -> SavedSize {
        SavedSize {
            width: self.width.load(Ordering::Relaxed),
            height: self.height.load(Ordering::Relaxed),
        }
    }

    /// Stores a size, clamped to [`MIN_SIZE`] … [`MAX_SIZE`].
    pub fn set(&self, size: SavedSize) {
        self.width
            .store(size.width.clamp(MIN_SIZE.0, MAX_SIZE.0), Ordering::Relaxed);
        self.height
            .store(size.height.clamp(MIN_SIZE.1, MAX_SIZE.1), Ordering::Relaxed);
    }
}

impl<'a> PersistentField<'a, SavedSize> for EditorSize {
    fn set(&self, new_value: SavedSize) {
        EditorSize::set(self, new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&SavedSize) -> R,
    {
        f(&self.get())
    }
}

/// The plugin's editor. It opens a fresh egui window at the size saved in the state each time
/// the host asks, and records the size whenever the window is resized.
pub struct RefcanEditor {
    shared: EditorShared,
    current: Mutex<Option<Arc<EguiEditorState>>>,
}

impl RefcanEditor {
    /// The editor for one plugin instance.
    pub fn new(shared: EditorShared) -> Self {
        Self {
            shared,
            current: Mutex::new(None),
        }
    }

    fn resize_hint() -> ResizeHint {
        ResizeHint::resizable().with_min_max_logical_size(
            Some(LogicalSize::new(MIN_SIZE.0 as f32, MIN_SIZE.1 as f32)),
            Some(LogicalSize::new(MAX_SIZE.0 as f32, MAX_SIZE.1 as f32)),
        )
    }
}

impl Editor for RefcanEditor {
    type Handle = EguiEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<nice_plug::editor::HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        let size = self.shared.params.editor_size.get();
        let state = EguiEditorState::from_size(
            LogicalSize::new(size.width as f32, size.height as f32),
            1.0,
        );
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(state.clone());
        let app = PluginApp {
            app: None,
            shared: self.shared.clone(),
            gui: None,
        };
        let editor = create_egui_editor(
            state,
            RepaintNotifier::new(),
            EguiNiceSettings::new()
                .with_tile("Refcan")
                .with_resize_hint(Self::resize_hint()),
            app,
        )
        .ok_or("the egui editor could not be created")?;
        editor.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        )
    }

    fn size(&self) -> NativeSize<u32> {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match current {
            Some(state) => {
                let logical = state.logical_size();
                NativeSize::from_logical_or_physical(
                    LogicalSize::new(f64::from(logical.width), f64::from(logical.height)),
                    state.physical_size(),
                )
            }
            None => {
                let s = self.shared.params.editor_size.get();
                NativeSize::from_size(
                    Size::Logical(LogicalSize::new(f64::from(s.width), f64::from(s.height))),
                    1.0,
                )
            }
        }
    }

    fn resize_hint(&self) -> ResizeHint {
        Self::resize_hint()
    }
}

/// The nice-plug-egui app: builds the [`app::EditorApp`] when the window opens and drops it
/// (and its curve thread) when it closes.
struct PluginApp {
    app: Option<app::EditorApp>,
    shared: EditorShared,
    gui: Option<GuiContext>,
}

impl NiceEguiApp for PluginApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        apply_style(&egui_ctx);
        self.gui = Some(nice_gui_ctx);
        self.app = Some(app::EditorApp::new(self.shared.clone()));
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        if let (Some(app), Some(gui)) = (self.app.as_mut(), self.gui.as_ref()) {
            // A drag corner for hosts without their own resize handle.
            ResizableWindow::new("refcan")
                .min_size(egui::vec2(MIN_SIZE.0 as f32, MIN_SIZE.1 as f32))
                .max_size(egui::vec2(MAX_SIZE.0 as f32, MAX_SIZE.1 as f32))
                .show(ui, |ui| app.ui(ui, gui));
        }
    }

    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        self.shared.params.editor_size.set(SavedSize {
            width: new_size.logical.width.round() as u32,
            height: new_size.logical.height.round() as u32,
        });
    }

    fn editor_closed(&mut self) {
        self.app = None;
        self.gui = None;
    }
}

/// Dark, high-contrast and a little larger than egui's defaults: readable in a dim studio.
pub fn apply_style(ctx: &egui::Context) {
    ctx.set_visuals(egui::Visuals::dark());
    ctx.global_style_mut(|style| {
        for (text_style, font) in style.text_styles.iter_mut() {
            font.size = match text_style {
                egui::TextStyle::Heading => 20.0,
                egui::TextStyle::Small => 11.0,
                _ => 14.0,
            };
        }
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        style.spacing.slider_width = 120.0;
    });
}
