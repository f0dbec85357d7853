//! Measurement rigs and rig-aware targets.
//!
//! A headphone measurement and the target it is corrected to must come from the same kind of
//! rig: an ear simulator with a pinna adds the concha and canal gain, an IEC 60318-4 (711)
//! coupler has no pinna, a B&K 5128 has its own ear (DSP_REFERENCE.md §1.4). AutoEq therefore
//! publishes each target per rig. Refcan's target presets say which rig they belong to
//! (`rig_id`) and which family they are (`family`: Harman, diffuse field, in-room flat).
//!
//! [`resolve_target`] picks what is actually used: when the headphone's rig is known and the
//! chosen target belongs to another rig, the same family's target for the headphone's rig is
//! used if one exists (Harman over-ear 2018 → Harman in-ear 2019 for an in-ear measured on a
//! 711 coupler); otherwise the chosen target stays and the resolution says which rig it
//! assumes, so the CLI and the editor can tell the user.

use crate::presets::{PresetLibrary, TargetPreset};
use serde::{Deserialize, Serialize};

/// The kind of rig a measurement or a target belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rig {
    /// An ear simulator with a pinna (GRAS 43AG / 45CA / KEMAR): over-ears, on-ears and
    /// earbuds in oratory1990's data, and the Harman over-ear and in-room targets.
    EarSimulator,
    /// An IEC 60318-4 (711) coupler without a pinna: in-ears, and the Harman in-ear target.
    #[serde(rename = "coupler_711")]
    Coupler711,
    /// The Brüel & Kjær 5128 head and torso simulator.
    #[serde(rename = "bk_5128")]
    Bk5128,
}

impl Rig {
    /// Every rig, in menu order.
    pub const ALL: [Rig; 3] = [Rig::EarSimulator, Rig::Coupler711, Rig::Bk5128];

    /// The stable id used in files, the state and the CLI (`--rig`).
    pub fn id(self) -> &'static str {
        match self {
            Rig::EarSimulator => "ear_simulator",
            Rig::Coupler711 => "coupler_711",
            Rig::Bk5128 => "bk_5128",
        }
    }

    /// A short description for the user.
    pub fn label(self) -> &'static str {
        match self {
            Rig::EarSimulator => "ear simulator with pinna (GRAS 43AG / KEMAR)",
            Rig::Coupler711 => "IEC 60318-4 (711) coupler without pinna",
            Rig::Bk5128 => "B&K 5128 head and torso simulator",
        }
    }

    /// The rig whose id is `id`.
    pub fn from_id(id: &str) -> Option<Rig> {
        Rig::ALL.into_iter().find(|r| r.id() == id)
    }
}

/// Which target is used for a chosen one and a headphone's rig, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetResolution {
    /// The target id the user chose.
    pub chosen_id: String,
    /// The target id actually used.
    pub used_id: String,
    /// Display name of the target used.
    pub used_name: String,
    /// How the two relate.
    pub kind: ResolutionKind,
}

/// How a [`TargetResolution`] came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolutionKind {
    /// The chosen target belongs to the headphone's rig (or makes no rig assumption).
    Matches,
    /// The chosen target was replaced by its family's target for the headphone's rig.
    Substituted {
        /// The headphone's rig.
        rig: Rig,
    },
    /// The headphone's rig differs from the target's and no counterpart exists.
    Mismatch {
        /// The headphone's rig.
        rig: Rig,
        /// The rig the target assumes.
        assumes: Rig,
    },
    /// The headphone's rig is unknown (an imported file); the target assumes `assumes`.
    UnknownRig {
        /// The rig the target assumes, if any.
        assumes: Option<Rig>,
    },
}

impl TargetResolution {
    /// One line for the CLI and the editor: the target used and the rig it assumes.
    pub fn describe(&self, chosen_name: &str) -> String {
        match self.kind {
            ResolutionKind::Matches => format!("Target: {}.", self.used_name),
            ResolutionKind::Substituted { rig } => format!(
                "Target: {} — the {} target for the rig this headphone was measured on ({}); \
                 you chose {}.",
                self.used_name,
                family_label(&self.used_id),
                rig.label(),
                chosen_name
            ),
            ResolutionKind::Mismatch { rig, assumes } => format!(
                "Target: {} (made for the {}); this headphone was measured on the {}, for \
                 which no {} target exists, so the correction is approximate.",
                self.used_name,
                assumes.label(),
                rig.label(),
                family_label(&self.used_id)
            ),
            ResolutionKind::UnknownRig { assumes: Some(r) } => format!(
                "Target: {} (made for the {}); the headphone's rig is not known: choose it to \
                 match the target to it.",
                self.used_name,
                r.label()
            ),
            ResolutionKind::UnknownRig { assumes: None } => {
                format!("Target: {} (no specific rig assumed).", self.used_name)
            }
        }
    }
}

fn family_label(target_id: &str) -> &'static str {
    if target_id.starts_with("harman_in_room") {
        "in-room flat"
    } else if target_id.starts_with("harman") {
        "Harman"
    } else if target_id.starts_with("diffuse_field") {
        "diffuse-field"
    } else {
        "same-family"
    }
}

/// The target to use for `chosen_id` and a headphone measured on `rig` (see the module
/// docs). `None` when `chosen_id` is not in `library`.
pub fn resolve_target(
    library: &PresetLibrary,
    chosen_id: &str,
    rig: Option<Rig>,
) -> Option<TargetResolution> {
    let chosen = library.target(chosen_id)?;
    let done = |t: &TargetPreset, kind| {
        Some(TargetResolution {
            chosen_id: chosen_id.to_string(),
            used_id: t.id.clone(),
            used_name: t.name.clone(),
            kind,
        })
    };
    let Some(rig) = rig else {
        return done(
            chosen,
            ResolutionKind::UnknownRig {
                assumes: chosen.rig_id,
            },
        );
    };
    if chosen.rig_id == Some(rig) {
        return done(chosen, ResolutionKind::Matches);
    }
    let counterpart = chosen.family.as_deref().and_then(|family| {
        library
            .targets
            .iter()
            .find(|t| t.family.as_deref() == Some(family) && t.rig_id == Some(rig))
    });
    match (counterpart, chosen.rig_id) {
        (Some(t), _) => done(t, ResolutionKind::Substituted { rig }),
        (None, Some(assumes)) => done(chosen, ResolutionKind::Mismatch { rig, assumes }),
        (None, None) => done(chosen, ResolutionKind::Matches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(chosen: &str, rig: Option<Rig>) -> TargetResolution {
        let library = PresetLibrary::builtin();
        match resolve_target(&library, chosen, rig) {
            Some(r) => r,
            None => panic!("{chosen} is not a built-in target"),
        }
    }

    #[test]
    fn harman_follows_the_rig() {
        let r = resolve("harman_oe_2018", Some(Rig::Coupler711));
        assert_eq!(r.used_id, "harman_ie_2019v2");
        assert_eq!(
            r.kind,
            ResolutionKind::Substituted {
                rig: Rig::Coupler711
            }
        );
        assert!(
            r.describe("Harman over-ear 2018")
                .contains("you chose Harman over-ear 2018")
        );
        let r = resolve("harman_ie_2019v2", Some(Rig::EarSimulator));
        assert_eq!(r.used_id, "harman_oe_2018");
        let r = resolve("harman_oe_2018", Some(Rig::EarSimulator));
        assert_eq!(
            (r.used_id.as_str(), r.kind),
            ("harman_oe_2018", ResolutionKind::Matches)
        );
    }

    #[test]
    fn diffuse_field_uses_the_rigs_own() {
        assert_eq!(
            resolve("diffuse_field_iso_11904_2", Some(Rig::EarSimulator)).used_id,
            "diffuse_field_gras_kemar"
        );
        assert_eq!(
            resolve("diffuse_field_iso_11904_2", Some(Rig::Bk5128)).used_id,
            "diffuse_field_5128"
        );
        // No 711-coupler diffuse field exists: ISO stays, and it assumes no rig.
        let r = resolve("diffuse_field_iso_11904_2", Some(Rig::Coupler711));
        assert_eq!(r.used_id, "diffuse_field_iso_11904_2");
    }

    #[test]
    fn a_target_without_counterpart_says_what_it_assumes() {
        let r = resolve("harman_in_room_flat_2013", Some(Rig::Coupler711));
        assert_eq!(r.used_id, "harman_in_room_flat_2013");
        assert_eq!(
            r.kind,
            ResolutionKind::Mismatch {
                rig: Rig::Coupler711,
                assumes: Rig::EarSimulator
            }
        );
        let text = r.describe("Harman in-room flat 2013");
        assert!(
            text.contains("ear simulator with pinna") && text.contains("711"),
            "{text}"
        );
        let r = resolve("harman_in_room_flat_2013", None);
        assert_eq!(
            r.kind,
            ResolutionKind::UnknownRig {
                assumes: Some(Rig::EarSimulator)
            }
        );
        assert!(r.describe("x").contains("not known"));
    }

    #[test]
    fn ids_round_trip() {
        for r in Rig::ALL {
            assert_eq!(Rig::from_id(r.id()), Some(r));
            let json = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(
                json,
                format!("\"{}\"", r.id()),
                "files and the state use the id"
            );
        }
        assert_eq!(Rig::from_id("kemar"), None);
    }
}
