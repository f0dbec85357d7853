//! The editor driven like a user would, without a window: `egui_kittest` finds widgets by
//! their accessible labels, clicks, types and moves sliders; a test GUI context stands in for
//! the host and applies parameter gestures as a host does.

use super::app::{EditorApp, ImportDestination, listen_label};
use super::widgets::PlottedCurve;
use super::{EditorShared, apply_style};
use crate::RenderStatus;
use crate::chain::Role;
use crate::curve::Response;
use crate::filter::FilterSpec;
use crate::params::{ListenChoice, RefcanParams};
use crate::presets::PresetLibrary;
use egui::accesskit::{Role as A11yRole, Toggled};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A stand-in host: applies every `set` at once and records the gestures.
#[derive(Default)]
struct TestHost {
    gestures: Mutex<Vec<String>>,
}

impl GuiContextInner for TestHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {
        self.log("begin");
    }
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: the pointer comes from a parameter of the `RefcanParams` the test holds.
        unsafe {
            param._internal_set_normalized_value(normalized);
        }
        self.log("set");
    }
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {
        self.log("end");
    }
    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

impl TestHost {
    fn log(&self, what: &str) {
        self.gestures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what.to_string());
    }
}

/// Sets `param` as host automation does (no editor gesture involved).
fn automate<P: Param>(param: &P, value: P::Plain) {
    let normalized = param.preview_normalized(value);
    // SAFETY: the pointer is to a parameter the test holds for the whole call.
    unsafe {
        param.as_ptr()._internal_set_normalized_value(normalized);
    }
}

fn saved_size(params: &RefcanParams, json: &str) -> super::SavedSize {
    let mut fields = params.serialize_fields();
    fields.insert("editor-size".into(), json.into());
    params.deserialize_fields(&fields);
    params.editor_size.get()
}

struct Shell {
    app: EditorApp,
    gui: GuiContext,
    host: Arc<TestHost>,
    params: Arc<RefcanParams>,
    status: Arc<RenderStatus>,
}

fn harness() -> Harness<'static, Shell> {
    harness_for(EditorShared {
        params: Arc::new(RefcanParams::default()),
        status: Arc::new(RenderStatus::default()),
        library: Arc::new(PresetLibrary::builtin()),
    })
}

fn harness_for(shared: EditorShared) -> Harness<'static, Shell> {
    let params = shared.params.clone();
    let status = shared.status.clone();
    let host = Arc::new(TestHost::default());
    let mut app = EditorApp::new(shared);
    app.animate = false;
    let shell = Shell {
        app,
        gui: GuiContext::new(host.clone()),
        host,
        params,
        status,
    };
    Harness::builder()
        .with_size(egui::vec2(
            super::DEFAULT_SIZE.0 as f32,
            super::DEFAULT_SIZE.1 as f32,
        ))
        .with_context_setup(apply_style)
        .build_ui_state(
            |ui, s: &mut Shell| {
                egui::CentralPanel::default().show(ui, |ui| s.app.ui(ui, &s.gui));
            },
            shell,
        )
}

/// Steps the editor until the curve worker has answered the newest request and the plot
/// shows it.
fn settle(h: &mut Harness<'static, Shell>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        h.step();
        let worker = h.state().app.curve_worker();
        if !worker.is_busy() && !h.state().app.plotted.is_empty() {
            // One more frame draws the newest result.
            h.step();
            if !h.state().app.curve_worker().is_busy() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the curves never came");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn curve(h: &Harness<'static, Shell>, role: Role) -> PlottedCurve {
    h.state()
        .app
        .plotted
        .iter()
        .find(|c| c.role == role)
        .cloned()
        .unwrap_or_else(|| panic!("no {role:?} curve plotted"))
}

/// A headphone measurement (AutoEq CSV): the default target with a bass shortfall and a
/// presence peak.
fn write_headphone(dir: &Path, name: &str) -> PathBuf {
    let library = PresetLibrary::builtin();
    let target = library
        .target("harman_in_room_flat_2013")
        .and_then(|t| t.curve().ok())
        .expect("target");
    let deviation = [
        FilterSpec::low_shelf(100.0, 0.7, -5.0),
        FilterSpec::peaking(4_000.0, 2.0, 4.0),
    ];
    let h = target.plus(&Response::from_filters(&deviation, 44_100.0));
    let mut text = String::from("frequency,raw\n");
    let (f, v) = h.to_points();
    for (f, v) in f.iter().zip(v) {
        text.push_str(&format!("{f:.3},{v:.4}\n"));
    }
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, text).expect("write");
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("refcan-editor-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Imports through the path field and the "Load as headphone" button, as a user would.
fn load_through_path_field(h: &mut Harness<'static, Shell>, path: &Path) {
    h.state_mut().app.path_text.clear();
    h.step();
    let field = h.get_by_role(A11yRole::TextInput);
    field.focus();
    field.type_text(&path.display().to_string());
    h.step();
    h.get_by_label("Load as headphone").click();
    h.step();
}

#[test]
fn clicking_a_slot_button_switches_listen_and_the_heard_curve() {
    let mut h = harness();
    settle(&mut h);
    let reference = curve(&h, Role::Result);
    assert_eq!(reference.name, "heard (reference)");
    let slots = h.state().params.state.slots();
    let label = listen_label(2, Some(slots[1].name()));
    h.get_by_label(&label).click();
    h.step();
    assert_eq!(h.state().params.listen.value(), ListenChoice::Slot2);
    let gestures = h.state().host.gestures.lock().expect("log").clone();
    assert_eq!(gestures, ["begin", "set", "end"], "one host gesture");
    settle(&mut h);
    let heard = curve(&h, Role::Result);
    assert_eq!(heard.name, format!("heard through {}", slots[1].name()));
    // What is drawn moved by the slot's ΔS (from the chain computed independently here).
    let params = &h.state().params;
    let chain = crate::design::chain_curves(
        &params.design_settings(),
        None,
        &crate::design::slot_sources(&slots),
        &PresetLibrary::builtin(),
    )
    .expect("chain");
    let mut largest: f64 = 0.0;
    for f in [50.0, 200.0, 1_000.0, 3_000.0, 8_000.0, 15_000.0] {
        let drawn = heard.db_at(f).expect("point") - reference.db_at(f).expect("point");
        let x = heard.points.iter().map(|p| p[0]).min_by(|a, b| {
            (a - f64::log10(f))
                .abs()
                .total_cmp(&(b - f64::log10(f)).abs())
        });
        let at = 10f64.powf(x.expect("x"));
        let expected = chain.slots[1].delta.gain_at(at);
        assert!(
            (drawn - expected).abs() < 0.01,
            "{f} Hz: drawn {drawn:.3} dB, slot ΔS {expected:.3} dB"
        );
        largest = largest.max(expected.abs());
    }
    assert!(
        largest > 1.0,
        "slot 2 must differ from the reference to prove anything"
    );
}

#[test]
fn automating_listen_redraws_the_plot_and_lights_the_button() {
    let mut h = harness();
    settle(&mut h);
    let slots = h.state().params.state.slots();
    // The host automates `listen` (no editor involved).
    automate(&h.state().params.listen, ListenChoice::Slot5);
    settle(&mut h);
    assert_eq!(
        curve(&h, Role::Result).name,
        format!("heard through {}", slots[4].name())
    );
    let label = listen_label(5, Some(slots[4].name()));
    let button = h.get_by_label(&label);
    assert_eq!(button.accesskit_node().toggled(), Some(Toggled::True));
    let reference = h.get_by_label("Reference");
    assert_eq!(reference.accesskit_node().toggled(), Some(Toggled::False));
    assert_eq!(
        h.state().app.slot_edit,
        4,
        "the slot row follows the listened slot"
    );
}

#[test]
fn moving_the_tilt_knob_changes_the_plotted_target() {
    let mut h = harness();
    settle(&mut h);
    let before = curve(&h, Role::Target);
    h.get_by_role_and_label(A11yRole::Slider, "Tilt")
        .set_value_accesskit(-0.5);
    h.step();
    assert_eq!(h.state().params.tilt.value(), -0.5);
    settle(&mut h);
    let after = curve(&h, Role::Target);
    let slope = |c: &PlottedCurve| c.db_at(20.0).expect("20 Hz") - c.db_at(20_000.0).expect("20k");
    let change = slope(&after) - slope(&before);
    // −0.5 dB/oct over the ten octaves 20 Hz – 20 kHz.
    assert!(
        (change - 5.0).abs() < 0.25,
        "tilt moved the plotted target by {change} dB"
    );
    let gestures = h.state().host.gestures.lock().expect("log").clone();
    assert_eq!(gestures, ["begin", "set", "end"]);
}

#[test]
fn a_good_import_corrects_and_a_bad_one_shows_why_and_keeps_the_profile() {
    let dir = temp_dir("import");
    let good = write_headphone(&dir, "Studio Cans");
    let mut h = harness();
    settle(&mut h);
    assert!(
        !h.state()
            .app
            .plotted
            .iter()
            .any(|c| c.role == Role::Measurement),
        "no headphone yet"
    );
    load_through_path_field(&mut h, &good);
    let installed = h.state().params.state.headphone().expect("imported");
    assert_eq!(installed.name, "Studio Cans");
    settle(&mut h);
    let measurement = curve(&h, Role::Measurement);
    let target = curve(&h, Role::Target);
    let correction = curve(&h, Role::Correction);
    // The correction undoes the fixture's 4 dB presence peak over the target.
    let rise = |c: &PlottedCurve| c.db_at(4_000.0).expect("4k") - c.db_at(1_000.0).expect("1k");
    let peak = rise(&measurement) - rise(&target);
    let fix = rise(&correction);
    assert!(peak > 3.0, "the fixture's peak is drawn: {peak:.2} dB");
    assert!(
        (peak + fix).abs() < 0.6,
        "peak {peak:.2} dB, correction {fix:.2} dB"
    );
    h.get_by_label_contains("Corrected for Studio Cans");

    let bad = dir.join("broken.csv");
    std::fs::write(&bad, "frequency,raw\n20,0\n100,zero\n1000,1\n").expect("write");
    let generation = h.state().params.state.generation();
    load_through_path_field(&mut h, &bad);
    let error = h.get_by_label_contains("Not imported");
    let node = error.accesskit_node();
    let text = node.label().or_else(|| node.value()).unwrap_or_default();
    assert!(
        text.contains("broken.csv:3:"),
        "names the file and line: {text}"
    );
    assert!(
        text.contains("expected a number"),
        "says what was expected: {text}"
    );
    assert_eq!(
        h.state().params.state.generation(),
        generation,
        "state untouched"
    );
    assert_eq!(
        h.state().params.state.headphone().expect("kept").name,
        "Studio Cans"
    );

    let missing = dir.join("no such file.csv");
    load_through_path_field(&mut h, &missing);
    h.get_by_label_contains("no such file.csv");
    assert_eq!(h.state().params.state.generation(), generation);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_slot_takes_a_simulation_from_the_menu_or_a_headphone_file() {
    let dir = temp_dir("slot");
    let other = write_headphone(&dir, "Friend's Cans");
    let mut h = harness();
    settle(&mut h);
    let library = PresetLibrary::builtin();
    let slots = h.state().params.state.slots();
    // Pick, for slot 1, a simulation it does not hold yet.
    let pick = library
        .simulations
        .iter()
        .find(|s| slots.iter().all(|c| c.name() != s.name))
        .or_else(|| {
            library
                .simulations
                .iter()
                .find(|s| s.name != slots[0].name())
        })
        .expect("another simulation");
    h.get_by_role_and_label(A11yRole::ComboBox, "holds").click();
    h.step();
    h.step();
    let entry = if pick.category.is_empty() {
        pick.name.clone()
    } else {
        format!("{} ({})", pick.name, pick.category)
    };
    h.get_by_label(&entry).click();
    h.step();
    assert_eq!(h.state().params.state.slots()[0].name(), pick.name);
    h.step();
    h.get_by_label(&listen_label(1, Some(&pick.name)));

    // Slot 3 through the path field.
    h.state_mut().app.slot_edit = 2;
    h.state_mut().app.path_text = other.display().to_string();
    h.step();
    h.get_by_label("Load into slot 3").click();
    h.step();
    assert_eq!(h.state().params.state.slots()[2].name(), "Friend's Cans");
    h.step();
    h.get_by_label(&listen_label(3, Some("Friend's Cans")));
    // The same import from code (the file dialog's path) goes the same way.
    h.state_mut().app.import(&other, ImportDestination::Slot(7));
    assert_eq!(h.state().params.state.slots()[7].name(), "Friend's Cans");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn banners_say_why_when_rendering_offline_or_a_state_was_refused() {
    let mut h = harness();
    settle(&mut h);
    assert!(h.query_by_label_contains("Offline render").is_none());
    h.state()
        .status
        .offline_pass_through
        .store(true, Ordering::Relaxed);
    h.step();
    h.get_by_label_contains("Offline render: Refcan passes the audio through");
    let refused = serde_json::json!({"format_version": 99, "slots": "not a list"});
    assert!(h.state().params.state.load(refused).is_err());
    h.step();
    h.get_by_label_contains("The saved state was refused in part");
}

#[test]
fn meters_light_the_clip_lamp_and_a_click_clears_it() {
    let mut h = harness();
    h.step();
    let mut l = vec![0.5f32, 1.2];
    let mut r = vec![0.1f32];
    h.state().status.meters.output.record(&[&mut l, &mut r]);
    assert!(h.state().status.meters.output.clipped());
    h.step();
    let lamps = h.get_all_by_label("CLIP").collect::<Vec<_>>();
    assert_eq!(lamps.len(), 2, "one lamp per meter");
    lamps[1].click();
    h.step();
    assert!(!h.state().status.meters.output.clipped());
}

#[test]
fn the_latency_readout_follows_the_engine_and_the_activation() {
    let mut h = harness();
    h.step();
    h.get_by_label("Latency: none");
    h.state()
        .status
        .sample_rate_hz
        .store(48_000, Ordering::Relaxed);
    automate(
        &h.state().params.filter_mode,
        crate::params::FilterModeChoice::LinearPhase,
    );
    h.step();
    h.get_by_label("Latency: 8191 samples (170.6 ms) after the host restarts the plugin");
    h.state()
        .status
        .latency_samples
        .store(8191, Ordering::Relaxed);
    h.step();
    h.get_by_label("Latency: 8191 samples (170.6 ms)");
}

#[test]
fn the_editor_size_is_kept_in_the_state() {
    let params = RefcanParams::default();
    let fields = params.serialize_fields();
    let saved = fields.get("editor-size").expect("saved");
    assert_eq!(saved, r#"{"width":1180,"height":720}"#);
    let size = saved_size(&params, r#"{"width":1500,"height":900}"#);
    assert_eq!((size.width, size.height), (1500, 900));
    let size = saved_size(&params, r#"{"width":10,"height":99999}"#);
    assert_eq!(
        (size.width, size.height),
        (super::MIN_SIZE.0, super::MAX_SIZE.1),
        "clamped"
    );
}

/// Runs `seconds` of a `freq_hz` sine (both channels, 0.25 peak) through the plugin's own
/// `process()` in 512-frame blocks; returns the RMS level of the last 0.2 s, dBFS.
fn sine_level_db(plugin: &mut crate::Refcan, freq_hz: f64, seconds: f64) -> f64 {
    let fs = 48_000.0;
    let frames = (seconds * fs) as usize;
    let mut left: Vec<f32> = (0..frames)
        .map(|n| (0.25 * (std::f64::consts::TAU * freq_hz * n as f64 / fs).sin()) as f32)
        .collect();
    let mut right = left.clone();
    let mut context = crate::tests::ModeContext {
        mode: ProcessMode::Realtime,
        transport: Transport::new(fs as f32),
    };
    for (l, r) in left.chunks_mut(512).zip(right.chunks_mut(512)) {
        let len = l.len();
        let mut buffer = Buffer::default();
        // SAFETY: both slices live until `process` returns and have `len` samples.
        unsafe {
            buffer.set_slices(len, |slices| {
                slices.clear();
                slices.push(l);
                slices.push(r);
            });
        }
        let mut aux = AuxiliaryBuffers {
            inputs: &mut [],
            outputs: &mut [],
        };
        plugin.process(&mut buffer, &mut aux, &mut context);
    }
    let tail = &left[frames - (0.2 * fs) as usize..];
    let power = tail.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / tail.len() as f64;
    10.0 * power.log10()
}

#[test]
fn a_click_on_a_slot_button_changes_what_the_plugin_plays() {
    let mut plugin = crate::Refcan::default();
    let layout = AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    };
    let config = BufferConfig {
        sample_rate: 48_000.0,
        min_buffer_size: None,
        max_buffer_size: 512,
        process_mode: ProcessMode::Realtime,
    };
    assert!(plugin.activate(&layout, &config, &mut crate::tests::NullActivate));
    let mut h = harness_for(EditorShared {
        params: plugin.params.clone(),
        status: plugin.status(),
        library: plugin.library.clone(),
    });
    settle(&mut h);
    let before_100 = sine_level_db(&mut plugin, 100.0, 0.5);
    let before_2k = sine_level_db(&mut plugin, 2_000.0, 0.5);
    let slots = plugin.params.state.slots();
    h.get_by_label(&listen_label(5, Some(slots[4].name())))
        .click();
    h.step();
    assert_eq!(plugin.params.listen.value(), ListenChoice::Slot5);
    let after_100 = sine_level_db(&mut plugin, 100.0, 0.5);
    let after_2k = sine_level_db(&mut plugin, 2_000.0, 0.5);
    // What the chain says slot 5 does to each tone, relative to the reference.
    let chain = crate::design::chain_curves(
        &plugin.params.design_settings(),
        None,
        &crate::design::slot_sources(&slots),
        &PresetLibrary::builtin(),
    )
    .expect("chain");
    let played = |listen, f: f64| {
        chain
            .chain(listen)
            .channel(crate::curve::Channel::Left)
            .gain_at(f)
    };
    use crate::chain::Listen;
    for (f, before, after) in [
        (100.0, before_100, after_100),
        (2_000.0, before_2k, after_2k),
    ] {
        let expected = played(Listen::Slot(4), f) - played(Listen::Reference, f);
        let heard = after - before;
        eprintln!("{f} Hz: output moved {heard:.3} dB, chain {expected:.3} dB");
        assert!(
            (heard - expected).abs() < 0.05,
            "{f} Hz: the plugin's output moved {heard:.2} dB, the slot's chain {expected:.2} dB"
        );
    }
    assert!(
        after_100 - before_100 < -10.0,
        "the phone speaker must cut 100 Hz for this to prove anything"
    );
    // The plot shows the same slot.
    settle(&mut h);
    assert_eq!(
        curve(&h, Role::Result).name,
        format!("heard through {}", slots[4].name())
    );
}

#[test]
fn a_dialog_that_cannot_open_is_told_apart_from_a_cancel() {
    use super::app::DialogOutcome;
    let p = PathBuf::from("/tmp/x.csv");
    assert_eq!(
        DialogOutcome::from_pick(Some(p.clone()), Duration::from_millis(1)),
        DialogOutcome::Picked(p)
    );
    assert_eq!(
        DialogOutcome::from_pick(None, Duration::from_millis(20)),
        DialogOutcome::Unavailable
    );
    assert_eq!(
        DialogOutcome::from_pick(None, Duration::from_secs(3)),
        DialogOutcome::Cancelled
    );
}

#[test]
fn the_crossfeed_menu_sets_the_parameter() {
    let mut h = harness();
    h.step();
    h.get_by_role_and_label(A11yRole::ComboBox, "Crossfeed")
        .click();
    h.step();
    h.step();
    h.get_by_label("Strong (bs2b)").click();
    h.step();
    assert_eq!(
        h.state().params.crossfeed.value(),
        crate::params::CrossfeedChoice::Strong
    );
    let gestures = h.state().host.gestures.lock().expect("log").clone();
    assert_eq!(gestures, ["begin", "set", "end"]);
}

#[test]
fn a_headphone_picked_from_the_library_is_corrected_like_an_import() {
    let mut h = harness();
    settle(&mut h);
    h.get_by_role_and_label(A11yRole::ComboBox, "or pick:")
        .click();
    h.step();
    h.step();
    let search = h.get_by_role_and_label(A11yRole::TextInput, "Search:");
    search.focus();
    search.type_text("dt 770");
    h.step();
    h.step();
    let entries = h.get_all_by_label_contains("(over-ear)").count();
    assert_eq!(entries, 1, "the search leaves the one DT 770 Pro");
    h.get_by_label_contains("DT 770 Pro").click();
    h.step();
    let installed = h.state().params.state.headphone().expect("installed");
    let library = crate::headphones::HeadphoneLibrary::builtin();
    let entry = library
        .find("beyerdynamic_dt770_pro_worn")
        .expect("in the library");
    assert_eq!(
        installed,
        entry.to_headphone(),
        "stored as data, like an import"
    );
    settle(&mut h);
    let measurement = curve(&h, Role::Measurement);
    let correction = curve(&h, Role::Correction);
    let target = curve(&h, Role::Target);
    // The plot shows the entry's table, and the correction undoes its deviation from the
    // target (at 1 kHz, where both are levelled, up to the correction's own smoothing).
    for f in [100.0, 1_000.0, 3_000.0] {
        let drawn = measurement.db_at(f).expect("f") - measurement.db_at(1_000.0).expect("1k");
        let table = entry.level_at(f) - entry.level_at(1_000.0);
        assert!(
            (drawn - table).abs() < 0.3,
            "{f} Hz: drawn {drawn:.2}, table {table:.2}"
        );
    }
    let residual = |f: f64| {
        measurement.db_at(f).expect("f") + correction.db_at(f).expect("f")
            - target.db_at(f).expect("f")
    };
    assert!((residual(300.0) - residual(1_000.0)).abs() < 1.0);
    h.get_by_label_contains("Corrected for Beyerdynamic DT 770 Pro");
}

#[test]
fn a_slot_takes_a_headphone_from_the_library() {
    let mut h = harness();
    settle(&mut h);
    h.state_mut().app.slot_edit = 2;
    h.step();
    h.get_by_role_and_label(A11yRole::ComboBox, "or:").click();
    h.step();
    h.step();
    let search = h.get_by_role_and_label(A11yRole::TextInput, "Search:");
    search.focus();
    search.type_text("hd 650");
    h.step();
    h.step();
    h.get_by_label_contains("Sennheiser HD 650").click();
    h.step();
    let library = crate::headphones::HeadphoneLibrary::builtin();
    let entry = library.find("sennheiser_hd650").expect("in the library");
    let slots = h.state().params.state.get().slots;
    assert_eq!(
        slots[2],
        crate::state::SlotContent::OtherHeadphone {
            headphone: entry.to_headphone()
        },
        "slot 3 holds the entry as data"
    );
    h.step();
    h.get_by_label_contains("Slot 3 plays Sennheiser HD 650 (library)");
    // Listening to slot 3 plots the reference plus the HD 650's deviation from the target.
    automate(&h.state().params.listen, ListenChoice::Slot3);
    settle(&mut h);
    let heard = curve(&h, Role::Result);
    let target = curve(&h, Role::Target);
    let rise = |c: &PlottedCurve, f: f64| c.db_at(f).expect("f") - c.db_at(1_000.0).expect("1k");
    let table = |f: f64| entry.level_at(f) - entry.level_at(1_000.0);
    for f in [40.0, 200.0, 3_000.0] {
        let got = rise(&heard, f) - rise(&target, f);
        let reference_target = library_target("harman_in_room_flat_2013");
        let want = table(f) - (reference_target.gain_at(f) - reference_target.gain_at(1_000.0));
        assert!(
            (got - want).abs() < 1.0,
            "{f} Hz: heard − target {got:.2} dB, HD 650 − reference {want:.2} dB"
        );
    }
}

fn library_target(id: &str) -> Response {
    PresetLibrary::builtin()
        .target(id)
        .map(|t| t.curve().expect("curve"))
        .expect("built-in target")
}

#[test]
fn the_target_follows_the_headphones_rig() {
    use crate::params::TargetChoice;
    let mut h = harness();
    settle(&mut h);
    let library = crate::headphones::HeadphoneLibrary::builtin();
    let iem = library
        .find("sony_wf_1000xm4")
        .expect("in the library")
        .clone();
    h.state_mut().app.install_from_library(&iem);
    automate(&h.state().params.target, TargetChoice::HarmanOe2018);
    settle(&mut h);
    // An in-ear measured on the 711 coupler is corrected to Harman in-ear 2019 (+9.5 dB
    // shelf), not the over-ear target chosen (+6 dB): about 3.5 dB apart at 30 Hz.
    let bass = |c: &PlottedCurve| c.db_at(30.0).expect("30") - c.db_at(1_000.0).expect("1k");
    let ie = library_target("harman_ie_2019v2");
    let oe = library_target("harman_oe_2018");
    let want_ie = ie.gain_at(30.0) - ie.gain_at(1_000.0);
    let want_oe = oe.gain_at(30.0) - oe.gain_at(1_000.0);
    assert!(want_ie - want_oe > 3.0, "{want_ie} vs {want_oe}");
    let drawn = bass(&curve(&h, Role::Target));
    assert!(
        (drawn - want_ie).abs() < 0.1,
        "target at 30 Hz {drawn:.2}, IE {want_ie:.2}"
    );
    h.get_by_label_contains("Target: Harman in-ear 2019");
    h.get_by_label_contains("you chose Harman over-ear 2018");
    // Telling the editor the rig is unknown brings the chosen target back, and says so.
    h.get_by_role_and_label(A11yRole::ComboBox, "Measured on")
        .click();
    h.step();
    h.step();
    h.get_by_label("unknown rig").click();
    h.step();
    assert_eq!(h.state().params.state.headphone().and_then(|p| p.rig), None);
    settle(&mut h);
    let drawn = bass(&curve(&h, Role::Target));
    assert!(
        (drawn - want_oe).abs() < 0.1,
        "target at 30 Hz {drawn:.2}, OE {want_oe:.2}"
    );
    h.get_by_label_contains("the headphone's rig is not known");
}
